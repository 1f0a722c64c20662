using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// A pointer parked in a struct for one native call (DESIGN.md, "What outlives and escapes mean"): inside a
    /// <c>fixed</c> statement the address is written to member <c>F</c> of a struct that lives longer than the
    /// statement — a private struct field of the type (<c>output.dst = p</c>) or a <c>ref</c>/<c>out</c> struct
    /// parameter of a non-public method (<c>input.src = p</c>) — and that struct is handed to the native call. The
    /// pointer stays behind when the pin ends, but nothing reads it there: every later use of the struct reads other
    /// members only (<c>input.pos</c>, <c>output.size</c>), or writes <c>F</c> again first. zlib's <c>z_stream</c>
    /// (<c>next_in</c>/<c>next_out</c>) and zstd's <c>ZSTD_inBuffer</c>/<c>ZSTD_outBuffer</c> wrappers are the shape
    /// (ZstdSharp's <c>CompressionStream.CompressStream</c>).
    /// </summary>
    /// <remarks>
    /// Judged as syntax, once per (struct, member) per compilation. For a field: every occurrence of the field's name
    /// in the type's declarations. For a parameter: its occurrences in the method, and at each call of the method (in
    /// the type for a private one, in the compilation for an internal one) the caller's local passed by <c>ref</c>:
    /// its occurrences in the caller. An occurrence is harmless when it reads or writes another member, writes
    /// <c>F</c>, overwrites the whole struct, or (at a caller) passes it to the method again. Any other use — a read of
    /// <c>F</c>, the struct passed or copied — must come after a statement of an enclosing block that writes <c>F</c>.
    /// A public or protected method, a non-private field, a caller passing something other than its own local: not
    /// parked (reported as before).
    /// </remarks>
    internal sealed class ParkedPointers
    {
        private static readonly ConditionalWeakTable<Compilation, ParkedPointers> s_byCompilation = new();

        private readonly ConcurrentDictionary<(ISymbol Storage, IFieldSymbol Member), bool> _parked = new(new Comparer());

        private readonly ConcurrentDictionary<ISymbol, bool> _stackLocals = new(SymbolEqualityComparer.Default);

        private readonly Compilation _compilation;

        private ParkedPointers(Compilation compilation) => _compilation = compilation;

        internal static ParkedPointers For(Compilation compilation) => s_byCompilation.GetValue(compilation, c => new ParkedPointers(c));

        /// <summary>
        /// The struct whose member <paramref name="target"/> is, when the pointer written there is only parked: a
        /// private struct field of this type or a <c>ref</c>/<c>out</c> struct parameter; null otherwise.
        /// </summary>
        internal ISymbol? Storage(IFieldReferenceOperation target)
        {
            ISymbol? storage = target.Instance switch
            {
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation or null, Field: { Type.IsValueType: true, DeclaredAccessibility: Accessibility.Private } field } => field,
                IParameterReferenceOperation { Parameter: { RefKind: RefKind.Ref or RefKind.Out, Type.IsValueType: true, ContainingSymbol: IMethodSymbol method } parameter }
                    when method.MethodKind == MethodKind.LocalFunction || method.DeclaredAccessibility is Accessibility.Private or Accessibility.Internal => parameter,
                _ => null,
            };

            return storage is not null && _parked.GetOrAdd((storage.OriginalDefinition, target.Field.OriginalDefinition), Compute) ? storage : null;
        }

        private bool Compute((ISymbol Storage, IFieldSymbol Member) key)
        {
            var member = key.Member.Name;
            switch (key.Storage)
            {
                case IFieldSymbol field when field.ContainingType is { } type:
                    foreach (var reference in type.DeclaringSyntaxReferences)
                    {
                        foreach (var node in reference.GetSyntax().DescendantNodes())
                        {
                            if (node is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == field.Name
                                && StorageExpression(identifier) is { } storage
                                && !(ReferenceEquals(storage, identifier) && IsShadowed(identifier, field.Name))
                                && !IsHarmless(storage, member, callee: null))
                            {
                                return false;
                            }
                        }
                    }

                    return true;

                case IParameterSymbol { ContainingSymbol: IMethodSymbol method } parameter:
                    if (method.DeclaringSyntaxReferences.Length != 1
                        || !UsesAreParked(method.DeclaringSyntaxReferences[0].GetSyntax(), parameter.Name, member, callee: null))
                    {
                        return false;
                    }

                    return CallersPark(method, parameter, member);

                default:
                    return false;
            }
        }

        /// <summary>Every call of <paramref name="method"/> passes a local of its caller whose other uses are parked.</summary>
        private bool CallersPark(IMethodSymbol method, IParameterSymbol parameter, string member)
            => EveryCallPassesALocal(method, parameter, (caller, local) => UsesAreParked(caller, local.Name, member, method));

        /// <summary>
        /// The <c>ref</c>/<c>out</c> struct parameter at the root of <paramref name="operation"/> — <c>&amp;p.Cone</c>,
        /// <c>p.Cone</c>, <c>p.Inner.Field</c> — or null.
        /// </summary>
        internal static IParameterSymbol? RootParameter(IOperation? operation)
        {
            // fixed (void* p = &s.Field): the initializer wraps the address-of.
            var current = operation.WalkDownFixedInitializer();

            if (current is IAddressOfOperation address)
            {
                current = address.Reference;
            }

            for (var depth = 0; depth < 8 && current is IFieldReferenceOperation { Instance: { Type.IsValueType: true } instance }; depth++)
            {
                current = instance;
            }

            return current is IParameterReferenceOperation { Parameter: { RefKind: RefKind.Ref or RefKind.Out, Type.IsValueType: true } parameter } ? parameter : null;
        }

        /// <summary>
        /// True when <paramref name="parameter"/>, a <c>ref</c>/<c>out</c> struct parameter of a private or internal method
        /// or a local function, is always a stack local of the caller: every call passes <c>ref</c> to a plain local of a
        /// method that is neither async nor an iterator, and no lambda or local function of that method uses the local
        /// (which would move it into a closure on the heap). Such memory never moves: SharpDX's
        /// <c>Emitter.__MarshalTo(ref __Native @ref)</c>, called with <c>ref emitterRef_</c> of a local
        /// <c>new Emitter.__Native()</c>, may store <c>&amp;@ref.Cone</c> in <c>@ref.ConePointer</c>.
        /// </summary>
        internal bool IsCallersStackLocal(IParameterSymbol parameter)
        {
            if (parameter.ContainingSymbol is not IMethodSymbol method
                || !(method.MethodKind == MethodKind.LocalFunction || method.DeclaredAccessibility is Accessibility.Private or Accessibility.Internal)
                || method.IsVirtual || method.IsAbstract || method.IsOverride)
            {
                return false;
            }

            return _stackLocals.GetOrAdd(parameter.OriginalDefinition, p => EveryCallPassesALocal(method, (IParameterSymbol)p, IsPlainStackLocal));
        }

        private static bool IsPlainStackLocal(SyntaxNode caller, ILocalSymbol local)
        {
            if (local.IsRef || local.IsFixed || local.IsConst || caller is AnonymousFunctionExpressionSyntax)
            {
                return false;
            }

            var isAsync = caller switch
            {
                MethodDeclarationSyntax declaration => declaration.Modifiers.Any(SyntaxKind.AsyncKeyword),
                LocalFunctionStatementSyntax function => function.Modifiers.Any(SyntaxKind.AsyncKeyword),
                _ => false,
            };

            if (isAsync)
            {
                return false;
            }

            foreach (var node in caller.DescendantNodes())
            {
                switch (node)
                {
                    case YieldStatementSyntax:
                        return false;
                    case IdentifierNameSyntax identifier when identifier.Identifier.ValueText == local.Name
                        && identifier.FirstAncestorOrSelf<SyntaxNode>(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax) is { } nested
                        && caller.Span.Contains(nested.Span) && !ReferenceEquals(nested, caller):
                        return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Every call of <paramref name="method"/> (in the type for a private one, the enclosing member for a local function,
        /// the compilation for an internal one) passes <c>ref</c>/<c>out</c> a local of its caller that <paramref name="accept"/> accepts.
        /// </summary>
        private bool EveryCallPassesALocal(IMethodSymbol method, IParameterSymbol parameter, System.Func<SyntaxNode, ILocalSymbol, bool> accept)
        {
            IEnumerable<SyntaxNode> scopes;
            if (method.MethodKind == MethodKind.LocalFunction)
            {
                scopes = method.ContainingSymbol is { DeclaringSyntaxReferences.Length: > 0 } outer ? new[] { outer.DeclaringSyntaxReferences[0].GetSyntax() } : new SyntaxNode[0];
            }
            else if (method.DeclaredAccessibility == Accessibility.Private)
            {
                scopes = Declarations(method.ContainingType);
            }
            else
            {
                scopes = SourceSearch.RootsMentioning(_compilation, method.Name);
            }

            foreach (var scope in scopes)
            {
                SemanticModel? model = null;
                foreach (var node in scope.DescendantNodes())
                {
                    if (node is not InvocationExpressionSyntax invocation || InvokedName(invocation) != method.Name)
                    {
                        continue;
                    }

                    model ??= _compilation.GetSemanticModel(scope.SyntaxTree);
                    if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(invocation).Symbol?.OriginalDefinition, method.OriginalDefinition))
                    {
                        continue;
                    }

                    if (ArgumentFor(invocation, parameter) is not { RefKindKeyword.RawKind: not 0, Expression: IdentifierNameSyntax passed }
                        || model.GetSymbolInfo(passed).Symbol is not ILocalSymbol local
                        || passed.FirstAncestorOrSelf<SyntaxNode>(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax) is not { } caller
                        || !accept(caller, local))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        /// <summary>Every occurrence of <paramref name="name"/> in <paramref name="body"/> is harmless for the parked member.</summary>
        private static bool UsesAreParked(SyntaxNode body, string name, string member, IMethodSymbol? callee)
        {
            foreach (var node in body.DescendantNodes())
            {
                // Not the name of another object's member (other.input).
                if (node is IdentifierNameSyntax use && use.Identifier.ValueText == name
                    && !(use.Parent is MemberAccessExpressionSyntax access && ReferenceEquals(access.Name, use))
                    && !IsHarmless(use, member, callee))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// The expression that denotes the field for a name occurrence: <c>output</c> or <c>this.output</c>; the name of
        /// another member access (<c>other.output</c>) denotes that expression; null for a declaration-like use.
        /// </summary>
        private static ExpressionSyntax? StorageExpression(IdentifierNameSyntax identifier)
            => identifier.Parent is MemberAccessExpressionSyntax access && ReferenceEquals(access.Name, identifier) ? access : identifier;

        private static bool IsHarmless(ExpressionSyntax storage, string member, IMethodSymbol? callee)
        {
            switch (storage.Parent)
            {
                case MemberAccessExpressionSyntax access when ReferenceEquals(access.Expression, storage):
                    if (access.Name.Identifier.ValueText != member)
                    {
                        // input.pos, output.size = n: another member.
                        return true;
                    }

                    if (access.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } write && ReferenceEquals(write.Left, access))
                    {
                        // input.src = p: the parking itself, or a later one.
                        return true;
                    }

                    // A read of the parked member: only after it is written again.
                    return IsWrittenBefore(access, storage, member);

                case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } whole when ReferenceEquals(whole.Left, storage):
                    return true;

                case NameColonSyntax or NameEqualsSyntax:
                    return true;

                case ArgumentSyntax { RefKindKeyword.RawKind: not 0, Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } } when callee is not null && InvokedName(invocation) == callee.Name:
                    // CompressStream(ref input, ...) at its caller: the method writes the member before it reads it.
                    return true;

                default:
                    return storage.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" } } } }
                        || IsWrittenBefore(storage, storage, member);
            }
        }

        /// <summary>An earlier statement of a block enclosing <paramref name="use"/> (within its function) writes <c>storage.member</c>.</summary>
        private static bool IsWrittenBefore(SyntaxNode use, ExpressionSyntax storage, string member)
        {
            var name = Normalize(storage);
            for (var node = use; node is not null && node is not (MemberDeclarationSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax); node = node.Parent)
            {
                if (node is not StatementSyntax statement || statement.Parent is not BlockSyntax block)
                {
                    continue;
                }

                foreach (var earlier in block.Statements)
                {
                    if (ReferenceEquals(earlier, statement))
                    {
                        break;
                    }

                    if (earlier is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: MemberAccessExpressionSyntax { Expression: var written } target } }
                        && target.Name.Identifier.ValueText == member && SyntaxFactory.AreEquivalent(Normalize(written), name))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static ExpressionSyntax Normalize(ExpressionSyntax expression)
            => expression is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } ? name : expression;

        /// <summary>The member around <paramref name="identifier"/> declares a local or parameter of that name.</summary>
        private static bool IsShadowed(IdentifierNameSyntax identifier, string name)
        {
            var member = identifier.FirstAncestorOrSelf<MemberDeclarationSyntax>();
            if (member is null)
            {
                return false;
            }

            foreach (var node in member.DescendantNodes())
            {
                var declared = node switch
                {
                    ParameterSyntax parameter => parameter.Identifier,
                    VariableDeclaratorSyntax variable when variable.Parent is VariableDeclarationSyntax { Parent: not FieldDeclarationSyntax and not EventFieldDeclarationSyntax } => variable.Identifier,
                    SingleVariableDesignationSyntax designation => designation.Identifier,
                    ForEachStatementSyntax loop => loop.Identifier,
                    CatchDeclarationSyntax catchDeclaration => catchDeclaration.Identifier,
                    _ => default,
                };

                if (declared.ValueText == name)
                {
                    return true;
                }
            }

            return false;
        }

        private static string? InvokedName(InvocationExpressionSyntax invocation) => invocation.Expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            GenericNameSyntax generic => generic.Identifier.ValueText,
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
            MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
            _ => null,
        };

        private static ArgumentSyntax? ArgumentFor(InvocationExpressionSyntax invocation, IParameterSymbol parameter)
        {
            var arguments = invocation.ArgumentList.Arguments;
            foreach (var argument in arguments)
            {
                if (argument.NameColon is { } named && named.Name.Identifier.ValueText == parameter.Name)
                {
                    return argument;
                }
            }

            return parameter.Ordinal < arguments.Count && arguments[parameter.Ordinal].NameColon is null ? arguments[parameter.Ordinal] : null;
        }

        private static IEnumerable<SyntaxNode> Declarations(INamedTypeSymbol type)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                yield return reference.GetSyntax();
            }
        }


        private sealed class Comparer : IEqualityComparer<(ISymbol Storage, IFieldSymbol Member)>
        {
            public bool Equals((ISymbol Storage, IFieldSymbol Member) x, (ISymbol Storage, IFieldSymbol Member) y)
                => SymbolEqualityComparer.Default.Equals(x.Storage, y.Storage) && SymbolEqualityComparer.Default.Equals(x.Member, y.Member);

            public int GetHashCode((ISymbol Storage, IFieldSymbol Member) obj)
                => (SymbolEqualityComparer.Default.GetHashCode(obj.Storage) * 31) + SymbolEqualityComparer.Default.GetHashCode(obj.Member);
        }
    }
}
