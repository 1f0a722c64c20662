using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// Delegates that are P/Invokes in disguise (DESIGN.md, the can-throw policy: P/Invoke methods do not throw):
    /// a <c>readonly</c> delegate field every assignment of which binds a P/Invoke — a method group of an
    /// <c>extern</c> (<c>DllImport</c>/<c>LibraryImport</c>) method of the field's type, <c>new D(externMethod)</c>, or
    /// <c>Marshal.GetDelegateForFunctionPointer</c>, whose delegate calls native code through a marshalling stub.
    /// clrzmq4's <c>public static readonly zmq_recv_delegate recv = zmq_recv;</c> is the shape.
    /// </summary>
    /// <remarks>
    /// A readonly field is assigned only by its initializer and the constructors of its type, so those are read, as
    /// syntax (they may sit in other trees); method groups are looked up by name on the field's type, and every
    /// method of that name must be a P/Invoke. Any other assignment (a lambda, a managed method, a parameter) makes
    /// the field an ordinary delegate, which may throw. Computed once per field per compilation.
    /// </remarks>
    internal sealed class NativeDelegates
    {
        private static readonly ConditionalWeakTable<Compilation, NativeDelegates> s_byCompilation = new();

        private readonly ConcurrentDictionary<IFieldSymbol, bool> _fields = new(SymbolEqualityComparer.Default);

        internal static NativeDelegates For(Compilation compilation) => s_byCompilation.GetValue(compilation, _ => new NativeDelegates());

        /// <summary>True when invoking the delegate held by <paramref name="field"/> calls a P/Invoke.</summary>
        internal bool IsNative(IFieldSymbol? field)
            => field is { IsReadOnly: true, Type.TypeKind: TypeKind.Delegate } && _fields.GetOrAdd(field.OriginalDefinition, Compute);

        /// <summary>A P/Invoke: <c>extern</c>, or a <c>LibraryImport</c>/<c>DllImport</c> declaration (source-generated stubs).</summary>
        internal static bool IsPInvoke(IMethodSymbol method)
        {
            if (method.IsExtern)
            {
                return true;
            }

            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass?.Name is "LibraryImportAttribute" or "DllImportAttribute")
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Compute(IFieldSymbol field)
        {
            var type = field.ContainingType;
            if (type is null)
            {
                return false;
            }

            var assigned = false;
            foreach (var reference in field.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is VariableDeclaratorSyntax { Initializer: { } initializer })
                {
                    if (!BindsNative(initializer.Value, type))
                    {
                        return false;
                    }

                    assigned = true;
                }
            }

            foreach (var typeReference in type.DeclaringSyntaxReferences)
            {
                foreach (var node in typeReference.GetSyntax().DescendantNodes())
                {
                    if (node is AssignmentExpressionSyntax assignment && PinnedObjectHeapSyntax.Names(assignment.Left, field.Name))
                    {
                        if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) || !BindsNative(assignment.Right, type))
                        {
                            return false;
                        }

                        assigned = true;
                    }
                    else if (node is ArgumentSyntax { RefKindKeyword.RawKind: not 0 } byReference && PinnedObjectHeapSyntax.Names(byReference.Expression, field.Name))
                    {
                        // Written through ref/out in a constructor: unknown value.
                        return false;
                    }
                }
            }

            return assigned;
        }

        private static bool BindsNative(ExpressionSyntax value, INamedTypeSymbol type)
        {
            while (true)
            {
                switch (value)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        value = parenthesized.Expression;
                        continue;
                    case CastExpressionSyntax cast:
                        value = cast.Expression;
                        continue;
                    case ObjectCreationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments }:
                        // new zmq_recv_delegate(zmq_recv)
                        value = arguments[0].Expression;
                        continue;
                    case IdentifierNameSyntax identifier:
                        return AllPInvokes(type, identifier.Identifier.ValueText);
                    case MemberAccessExpressionSyntax { Name: IdentifierNameSyntax name } member when member.Expression is IdentifierNameSyntax qualifier && qualifier.Identifier.ValueText == type.Name:
                        // zmq.zmq_recv
                        return AllPInvokes(type, name.Identifier.ValueText);
                    case InvocationExpressionSyntax { Expression: { } callee }:
                        // Marshal.GetDelegateForFunctionPointer(p, typeof(D)) / <D>(p), possibly qualified.
                        var calleeName = callee switch
                        {
                            MemberAccessExpressionSyntax access when access.Expression.ToString() is "Marshal" or "System.Runtime.InteropServices.Marshal" or "global::System.Runtime.InteropServices.Marshal" => access.Name,
                            _ => null,
                        };

                        return calleeName?.Identifier.ValueText == "GetDelegateForFunctionPointer";
                    default:
                        return false;
                }
            }
        }

        private static bool AllPInvokes(INamedTypeSymbol type, string name)
        {
            var found = false;
            foreach (var member in type.GetMembers(name))
            {
                if (member is not IMethodSymbol method || !IsPInvoke(method))
                {
                    return false;
                }

                found = true;
            }

            return found;
        }
    }
}
