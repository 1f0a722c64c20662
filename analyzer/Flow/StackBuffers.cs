using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// Structs in stack memory that carry a pinned address (DESIGN.md, "Values that carry an address"): a pointer local
    /// every assignment of which is <c>stackalloc</c> (<c>NATIVE_RETRIEVECOLUMN* cols = stackalloc …</c>), whose elements get
    /// the address (<c>cols[i].pvData = new IntPtr(p)</c>, <c>cols-&gt;pvData = …</c>). The buffer is followed like an
    /// <c>iovec</c> local: passed to a retaining call it is PIN2002, stored in a field PIN2001; read after the
    /// <c>fixed</c> statement ends it is a dangling pointer — unless the read is of another field of an element
    /// (<c>cols[i].err</c> after the native call), which cannot see the address.
    /// </summary>
    /// <remarks>
    /// A pointer <em>parameter</em> is the caller's memory: the address stays there after the method returns. It is
    /// treated as a buffer only when the same <c>fixed</c> statement, after the write, hands the parameter to a call (the
    /// synchronous native call the descriptors were filled in for, as in ManagedEsent); a write into caller memory with
    /// no such consumer stays a field store (PIN2001).
    /// </remarks>
    internal sealed class StackBuffers
    {
        private readonly Dictionary<ILocalSymbol, HashSet<IFieldSymbol>> _carrying = new(SymbolEqualityComparer.Default);
        private readonly HashSet<ILocalSymbol> _whole = new(SymbolEqualityComparer.Default);

        /// <summary>
        /// For a field assigned through an element of a pointer — <c>buffer[i].F</c>, <c>buffer-&gt;F</c>, <c>(*buffer).F</c> —
        /// the buffer: a stackalloc'd pointer local or a pointer parameter; else null.
        /// </summary>
        internal static ISymbol? BufferOf(IFieldReferenceOperation field, FunctionFlow function)
        {
            if (field.Instance is not { Kind: OperationKind.None } element)
            {
                return null;
            }

            IOperation? pointer = null;
            foreach (var child in element.ChildOperations)
            {
                // The pointer is the first child: cols in cols[i] or *cols.
                pointer = child;
                break;
            }

            switch (pointer.WalkDownConversions())
            {
                case ILocalReferenceOperation { Local: { Type: IPointerTypeSymbol, IsRef: false } local } when IsStackAllocated(local, function):
                    return local;
                case IParameterReferenceOperation { Parameter: { Type: IPointerTypeSymbol, RefKind: RefKind.None } parameter }:
                    return parameter;
                default:
                    return null;
            }
        }

        /// <summary>True when the same fixed statement, after <paramref name="write"/>, passes <paramref name="parameter"/> to a call.</summary>
        internal static bool ConsumedInside(IParameterSymbol parameter, IOperation write, SyntaxNode fixedStatement, FunctionFlow function)
        {
            foreach (var reference in function.ReferencesTo(parameter))
            {
                if (reference.Syntax.SpanStart > write.Syntax.Span.End && fixedStatement.Span.Contains(reference.Syntax.Span)
                    && ArgumentOf(reference) is { Parent: IInvocationOperation })
                {
                    return true;
                }
            }

            return false;
        }

        private static IArgumentOperation? ArgumentOf(IOperation reference)
        {
            var current = reference.Parent;
            while (current is IConversionOperation or IParenthesizedOperation)
            {
                current = current.Parent;
            }

            return current as IArgumentOperation;
        }

        /// <summary>The address reached the whole value of <paramref name="local"/>: every read of it can see the address.</summary>
        internal void CarryWhole(ILocalSymbol local) => _whole.Add(local);

        internal void Carry(ILocalSymbol buffer, IFieldSymbol field)
        {
            if (!_carrying.TryGetValue(buffer, out var fields))
            {
                fields = new HashSet<IFieldSymbol>(SymbolEqualityComparer.Default);
                _carrying.Add(buffer, fields);
            }

            fields.Add(field);
        }

        /// <summary>For a buffer: the reads that cannot see the address (a field of an element that was not given one); else null.</summary>
        internal Func<ILocalReferenceOperation, bool>? HarmlessReads(ILocalSymbol local)
        {
            if (_whole.Contains(local) || !_carrying.TryGetValue(local, out var fields))
            {
                return null;
            }

            return reference => IsFreeArgument(reference)
                || (reference.Parent is IFieldReferenceOperation direct && ReferenceEquals(direct.Instance, reference) && !fields.Contains(direct.Field))
                || (reference.Parent is { Kind: OperationKind.None } element
                && element.Parent is IFieldReferenceOperation member && ReferenceEquals(member.Instance, element)
                && !fields.Contains(member.Field))
                || (ArgumentOf(reference) is { Parameter: { } parameter, Parent: IInvocationOperation invocation }
                    && MembersReadThrough(invocation.TargetMethod, parameter) is { } names && !Overlaps(names, fields));
        }

        private static bool Overlaps(ImmutableHashSet<string> names, HashSet<IFieldSymbol> fields)
        {
            foreach (var field in fields)
            {
                if (names.Contains(field.Name))
                {
                    return true;
                }
            }

            return false;
        }

        private static readonly ConditionalWeakTable<IParameterSymbol, StrongBox<ImmutableHashSet<string>?>> s_membersRead = new();

        /// <summary>
        /// For a pointer parameter of a source method: the names of the element members its body touches
        /// (<c>p[i].err</c>, <c>p-&gt;cbActual</c>) when that is its only use; null when the body uses the pointer any
        /// other way (passes it on, takes an address, reads a whole element) or cannot be seen. One level, by syntax,
        /// once per parameter (ManagedEsent's <c>RetrieveTruncatedBuffers(…, NATIVE_RETRIEVECOLUMN* cols)</c> reads
        /// <c>cols[i].err</c> and <c>cols[i].cbActual</c>, never <c>pvData</c>).
        /// </summary>
        internal static ImmutableHashSet<string>? MembersReadThrough(IMethodSymbol method, IParameterSymbol parameter)
        {
            method = method.OriginalDefinition;
            if (parameter.Type is IPointerTypeSymbol ? parameter.RefKind != RefKind.None : !parameter.Type.IsValueType || parameter.Type.SpecialType != SpecialType.None)
            {
                return null;
            }

            return s_membersRead.GetValue(parameter, p => new StrongBox<ImmutableHashSet<string>?>(ComputeMembersRead(method, p))).Value;
        }

        private static ImmutableHashSet<string>? ComputeMembersRead(IMethodSymbol method, IParameterSymbol parameter)
        {
            if (method.IsAbstract || method.IsVirtual || method.IsExtern || method.IsOverride || method.DeclaringSyntaxReferences.Length != 1
                || method.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax declaration
                || (declaration.Body is null && declaration.ExpressionBody is null))
            {
                return null;
            }

            var names = ImmutableHashSet.CreateBuilder<string>();
            var name = parameter.Name;
            var pointer = parameter.Type is IPointerTypeSymbol;
            foreach (var node in declaration.DescendantNodes())
            {
                if (node is not IdentifierNameSyntax identifier || identifier.Identifier.ValueText != name || identifier.Parent is ParameterSyntax)
                {
                    continue;
                }

                // p[i].F or p->F, not under & or ref, and not the element as a whole.
                // A struct parameter (by value, ref or in): s.F.
                MemberAccessExpressionSyntax? member = identifier.Parent switch
                {
                    ElementAccessExpressionSyntax element when pointer && element.Expression == identifier => element.Parent as MemberAccessExpressionSyntax,
                    MemberAccessExpressionSyntax arrow when pointer && arrow.Expression == identifier && arrow.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.PointerMemberAccessExpression) => arrow,
                    MemberAccessExpressionSyntax dot when !pointer && dot.Expression == identifier && dot.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SimpleMemberAccessExpression) => dot,
                    _ => null,
                };

                if (member is null || member.Expression is not (ElementAccessExpressionSyntax or IdentifierNameSyntax)
                    || member.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.AddressOfExpression }
                    || member.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 } || member.Parent is RefExpressionSyntax
                    || member.Parent is InvocationExpressionSyntax call && call.Expression == member)
                {
                    return null;
                }

                if (member.Parent is AssignmentExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.SimpleAssignmentExpression } assignment
                    && assignment.Left == member)
                {
                    // Overwriting a member reads nothing through it.
                    continue;
                }

                names.Add(member.Name.Identifier.ValueText);
            }

            return names.ToImmutable();
        }

        private static bool IsStackAllocated(ILocalSymbol local, FunctionFlow function)
        {
            var assigned = false;
            foreach (var syntax in local.DeclaringSyntaxReferences)
            {
                if (syntax.GetSyntax() is VariableDeclaratorSyntax declarator)
                {
                    if (declarator.Initializer is not { } initializer || !(IsStackAlloc(initializer.Value) || IsFreedNativeBlock(local, initializer.Value, function)))
                    {
                        return false;
                    }

                    assigned = true;
                }
            }

            foreach (var reference in function.ReferencesTo(local))
            {
                switch (reference.Parent)
                {
                    case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, reference):
                        if (!IsStackAlloc(assignment.Value.Syntax))
                        {
                            return false;
                        }

                        break;
                    case ICompoundAssignmentOperation or IIncrementOrDecrementOperation or IAddressOfOperation:
                    case IArgumentOperation { Parameter.RefKind: not RefKind.None and not RefKind.In }:
                        // Moved or aliased: no longer known to point at the start of the stack block.
                        return false;
                }
            }

            return assigned;
        }

        /// <summary>
        /// A block the method gets from a call and frees itself (Avalonia's <c>var hint = XAllocClassHint(); … XFree(hint);</c>,
        /// <c>Marshal.AllocHGlobal</c> … <c>Marshal.FreeHGlobal</c>): it does not outlive the method, so it is scratch
        /// memory like a stack block, and handing it to the free call reads nothing through it.
        /// </summary>
        private static bool IsFreedNativeBlock(ILocalSymbol local, SyntaxNode value, FunctionFlow function)
        {
            while (value is ParenthesizedExpressionSyntax or CastExpressionSyntax)
            {
                value = value is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)value).Expression;
            }

            if (value is not InvocationExpressionSyntax)
            {
                return false;
            }

            foreach (var reference in function.ReferencesTo(local))
            {
                if (IsFreeArgument(reference))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The reference is the only argument of a call that frees it: <c>XFree(p)</c>, <c>Marshal.FreeHGlobal((IntPtr)p)</c>, <c>NativeMemory.Free(p)</c>, <c>free(p)</c>.</summary>
        private static bool IsFreeArgument(IOperation reference)
            => ArgumentOf(reference) is { Parent: IInvocationOperation { Arguments.Length: 1, TargetMethod.Name: var name } }
                && (name.EndsWith("free", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Free", StringComparison.Ordinal));

        private static bool IsStackAlloc(SyntaxNode value)
        {
            while (value is ParenthesizedExpressionSyntax or CastExpressionSyntax)
            {
                value = value is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)value).Expression;
            }

            return value is StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax;
        }
    }
}
