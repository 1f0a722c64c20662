using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// The "cannot throw" summary of source-defined members (DESIGN.md, the can-throw policy): an auto-property
    /// accessor, a <c>return field;</c> / <c>=&gt; field</c> getter, and a member whose body holds nothing that can
    /// throw under the same policy — field and local reads and writes, literals, arithmetic other than division, and
    /// reads of auto-properties, and the layout queries <c>Marshal.SizeOf&lt;T&gt;()</c> / <c>Unsafe.SizeOf&lt;T&gt;()</c>. A call
    /// without arguments of a source helper whose body calls nothing and holds nothing that can throw is followed one
    /// more level (a cached size, <c>FastSizeOf&lt;T&gt;() =&gt; SizeOf&lt;T&gt;.Get()</c>); any other call counts as throwing.
    /// Computed lazily, once per member per compilation (shared by every analyzer and site).
    /// </summary>
    /// <remarks>
    /// Read from syntax, with member kinds looked up by name on the containing type, because the members may sit in
    /// other trees whose semantic model an analyzer should not build. Anything not recognised counts as throwing.
    /// </remarks>
    internal sealed class ThrowSummaries
    {
        private static readonly ConditionalWeakTable<Compilation, ThrowSummaries> s_byCompilation = new();

        private readonly ConcurrentDictionary<IMethodSymbol, bool> _cannotThrow = new(SymbolEqualityComparer.Default);

        /// <summary>The same judgement for a member called from a summarised body: its own body may call nothing.</summary>
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _cannotThrowLeaf = new(SymbolEqualityComparer.Default);
        private readonly bool _checkOverflow;

        private ThrowSummaries(Compilation compilation) => _checkOverflow = compilation.Options.CheckOverflow;

        internal static ThrowSummaries For(Compilation compilation) => s_byCompilation.GetValue(compilation, c => new ThrowSummaries(c));

        /// <summary>True when a call of <paramref name="method"/> (an accessor, method or local function) cannot throw.</summary>
        internal bool CannotThrow(IMethodSymbol? method)
        {
            method = (method?.ReducedFrom ?? method)?.OriginalDefinition;
            return method is not null && method.DeclaringSyntaxReferences.Length == 1 && _cannotThrow.GetOrAdd(method, m => Compute(m, leaf: false));
        }

        private bool CannotThrowLeaf(IMethodSymbol method)
        {
            method = method.OriginalDefinition;
            return method.DeclaringSyntaxReferences.Length == 1 && _cannotThrowLeaf.GetOrAdd(method, m => Compute(m, leaf: true));
        }

        private bool Compute(IMethodSymbol method, bool leaf)
        {
            // A call that may dispatch elsewhere runs a body we cannot see.
            if (method.IsAbstract || method.IsVirtual || method.IsExtern
                || (method.IsOverride && !method.IsSealed && !method.ContainingType.IsSealed)
                || method.ContainingType is null || method.ContainingType.TypeKind == TypeKind.Interface
                || method.PartialImplementationPart is not null)
            {
                return false;
            }

            var syntax = method.DeclaringSyntaxReferences[0].GetSyntax();
            var body = new Body(this, method, leaf);
            switch (syntax)
            {
                case AccessorDeclarationSyntax { Body: null, ExpressionBody: null }:
                    // An auto-property accessor (get; set; init;) reads or writes its backing field.
                    return IsAutoProperty(method.AssociatedSymbol as IPropertySymbol);
                case AccessorDeclarationSyntax accessor:
                    return accessor.ExpressionBody is { } accessorArrow ? body.Expression(accessorArrow.Expression) : body.Statement(accessor.Body!);
                case ArrowExpressionClauseSyntax propertyArrow:
                    // int X => _x;
                    return body.Expression(propertyArrow.Expression);
                case MethodDeclarationSyntax { ExpressionBody: { } methodArrow }:
                    return body.Expression(methodArrow.Expression);
                case MethodDeclarationSyntax { Body: { } block }:
                    return body.Statement(block);
                case LocalFunctionStatementSyntax local:
                    return local.ExpressionBody is { } localArrow ? body.Expression(localArrow.Expression) : local.Body is { } localBlock && body.Statement(localBlock);
                default:
                    return false;
            }
        }

        /// <summary>An auto-property: its accessors are compiler-generated field accesses.</summary>
        private static bool IsAutoProperty(IPropertySymbol? property)
        {
            if (property is null || property.IsAbstract || property.IsVirtual || property.IsExtern || property.IsIndexer
                || (property.IsOverride && !property.IsSealed && !property.ContainingType.IsSealed))
            {
                return false;
            }

            foreach (var member in property.ContainingType.GetMembers())
            {
                if (member is IFieldSymbol field && SymbolEqualityComparer.Default.Equals(field.AssociatedSymbol, property))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Judges one body's syntax against the policy.</summary>
        private readonly struct Body
        {
            private readonly ThrowSummaries _owner;
            private readonly IMethodSymbol _method;
            private readonly bool _leaf;

            internal Body(ThrowSummaries owner, IMethodSymbol method, bool leaf)
            {
                _owner = owner;
                _method = method;
                _leaf = leaf;
            }

            internal bool Statement(StatementSyntax statement)
            {
                switch (statement)
                {
                    case BlockSyntax block:
                        foreach (var inner in block.Statements)
                        {
                            if (!Statement(inner))
                            {
                                return false;
                            }
                        }

                        return true;
                    case ReturnStatementSyntax returned:
                        return returned.Expression is null || Expression(returned.Expression);
                    case ExpressionStatementSyntax expression:
                        return Expression(expression.Expression);
                    case EmptyStatementSyntax:
                        return true;
                    case IfStatementSyntax branch:
                        return Expression(branch.Condition) && Statement(branch.Statement) && (branch.Else is null || Statement(branch.Else.Statement));
                    case LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, AwaitKeyword.RawKind: 0 } declaration:
                        foreach (var variable in declaration.Declaration.Variables)
                        {
                            if (variable.Initializer is { } initializer && !Expression(initializer.Value))
                            {
                                return false;
                            }
                        }

                        return true;
                    default:
                        return false;
                }
            }

            internal bool Expression(ExpressionSyntax expression)
            {
                switch (expression)
                {
                    case LiteralExpressionSyntax or DefaultExpressionSyntax or ThisExpressionSyntax:
                        return true;
                    case ParenthesizedExpressionSyntax parenthesized:
                        return Expression(parenthesized.Expression);
                    case IdentifierNameSyntax identifier:
                        return Name(identifier.Identifier.ValueText);
                    case MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax name }:
                        return Member(name.Identifier.ValueText) == true;
                    case AssignmentExpressionSyntax assignment:
                        return !assignment.IsKind(SyntaxKind.DivideAssignmentExpression) && !assignment.IsKind(SyntaxKind.ModuloAssignmentExpression)
                            && (assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) || !_owner._checkOverflow)
                            && Expression(assignment.Left) && Expression(assignment.Right);
                    case BinaryExpressionSyntax binary:
                        if (binary.IsKind(SyntaxKind.DivideExpression) || binary.IsKind(SyntaxKind.ModuloExpression)
                            || binary.IsKind(SyntaxKind.AsExpression) || binary.IsKind(SyntaxKind.IsExpression)
                            || (_owner._checkOverflow && (binary.IsKind(SyntaxKind.AddExpression) || binary.IsKind(SyntaxKind.SubtractExpression) || binary.IsKind(SyntaxKind.MultiplyExpression))))
                        {
                            return false;
                        }

                        return Expression(binary.Left) && Expression(binary.Right);
                    case PrefixUnaryExpressionSyntax prefix:
                        return !prefix.IsKind(SyntaxKind.AddressOfExpression) && !prefix.IsKind(SyntaxKind.PointerIndirectionExpression)
                            && !prefix.IsKind(SyntaxKind.IndexExpression) && Expression(prefix.Operand);
                    case PostfixUnaryExpressionSyntax postfix:
                        return (postfix.IsKind(SyntaxKind.PostIncrementExpression) || postfix.IsKind(SyntaxKind.PostDecrementExpression)) && Expression(postfix.Operand);
                    case ConditionalExpressionSyntax conditional:
                        return Expression(conditional.Condition) && Expression(conditional.WhenTrue) && Expression(conditional.WhenFalse);
                    case SizeOfExpressionSyntax or TypeOfExpressionSyntax:
                        return true;
                    case InvocationExpressionSyntax invocation:
                        return IsLayoutQuery(invocation) || (!_leaf && CallsNonThrowingHelper(invocation));
                    default:
                        // Calls, element access, casts, creations, lambdas, patterns, throw: may throw, or more than one level.
                        return false;
                }
            }

            /// <summary>
            /// <c>Marshal.SizeOf&lt;T&gt;()</c>, <c>Marshal.SizeOf(typeof(T))</c> or <c>Unsafe.SizeOf&lt;T&gt;()</c>: the same
            /// layout queries the flow treats as non-throwing (FNA's <c>MarshalHelper.SizeOf&lt;T&gt;() =&gt; Marshal.SizeOf&lt;T&gt;()</c>).
            /// Syntax only: the receiver must be spelled <c>Marshal</c> / <c>Unsafe</c>, optionally qualified.
            /// </summary>
            private static bool IsLayoutQuery(InvocationExpressionSyntax invocation)
            {
                if (invocation.Expression is not MemberAccessExpressionSyntax { Name: var name, Expression: var receiver } || name.Identifier.ValueText != "SizeOf")
                {
                    return false;
                }

                var type = receiver switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    MemberAccessExpressionSyntax qualified => qualified.Name.Identifier.ValueText,
                    _ => null,
                };

                var arguments = invocation.ArgumentList.Arguments;
                return type switch
                {
                    "Marshal" => arguments.Count == 0 ? name is GenericNameSyntax : arguments.Count == 1 && arguments[0].Expression is TypeOfExpressionSyntax,
                    "Unsafe" => arguments.Count == 0 && name is GenericNameSyntax,
                    _ => false,
                };
            }

            /// <summary>
            /// A call, without arguments, of a static or non-virtual source method of this type or of a type it names
            /// (<c>SizeOf&lt;T&gt;.Get()</c>, MonoGame's <c>FastSizeOf&lt;T&gt;() =&gt; SizeOf&lt;T&gt;.Get()</c>) whose own body holds
            /// nothing that can throw and calls nothing: the summary's second and last level.
            /// </summary>
            private bool CallsNonThrowingHelper(InvocationExpressionSyntax invocation)
            {
                if (invocation.ArgumentList.Arguments.Count != 0)
                {
                    return false;
                }

                var (owners, name) = invocation.Expression switch
                {
                    SimpleNameSyntax simple => (new[] { _method.ContainingType }, simple.Identifier.ValueText),
                    MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var member } => (new[] { _method.ContainingType }, member.Identifier.ValueText),
                    MemberAccessExpressionSyntax { Expression: SimpleNameSyntax type, Name: var member } => (TypesNamed(type.Identifier.ValueText), member.Identifier.ValueText),
                    _ => (System.Array.Empty<INamedTypeSymbol>(), string.Empty),
                };

                var found = false;
                foreach (var owner in owners)
                {
                    foreach (var candidate in owner.GetMembers(name))
                    {
                        if (candidate is not IMethodSymbol { Parameters.IsEmpty: true, MethodKind: MethodKind.Ordinary } helper)
                        {
                            continue;
                        }

                        if (!_owner.CannotThrowLeaf(helper))
                        {
                            return false;
                        }

                        found = true;
                    }
                }

                return found;
            }

            /// <summary>Types of that name nested in this one or its containers, or in its namespace.</summary>
            private INamedTypeSymbol[] TypesNamed(string name)
            {
                var result = new System.Collections.Generic.List<INamedTypeSymbol>();
                for (var type = _method.ContainingType; type is not null && result.Count == 0; type = type.ContainingType)
                {
                    result.AddRange(type.GetTypeMembers(name));
                    if (string.Equals(type.Name, name, System.StringComparison.Ordinal))
                    {
                        result.Add(type);
                    }
                }

                if (result.Count == 0 && _method.ContainingNamespace is { } scope)
                {
                    result.AddRange(scope.GetTypeMembers(name));
                }

                return result.ToArray();
            }

            /// <summary>A simple name: a field or auto-property of the type, a parameter, a local, or C# 14's <c>field</c>.</summary>
            private bool Name(string name)
            {
                if (Member(name) is { } isMember)
                {
                    return isMember;
                }

                foreach (var parameter in _method.Parameters)
                {
                    if (parameter.Name == name)
                    {
                        return true;
                    }
                }

                // The implicit value of a setter, the field keyword of an accessor, or a local of this body (locals are
                // declared by statements the walk already accepted); anything else (an outer type's member) is unknown.
                if (name is "value" or "field" && _method.MethodKind is MethodKind.PropertySet or MethodKind.PropertyGet)
                {
                    return true;
                }

                return IsLocal(name);
            }

            /// <summary>True for a field or auto-property of the containing type, false for another member, null when none is named so.</summary>
            private bool? Member(string name)
            {
                var members = _method.ContainingType.GetMembers(name);
                if (members.IsEmpty)
                {
                    return null;
                }

                foreach (var member in members)
                {
                    switch (member)
                    {
                        case IFieldSymbol:
                            continue;
                        case IPropertySymbol property when IsAutoProperty(property):
                            continue;
                        default:
                            return false;
                    }
                }

                return true;
            }

            private bool IsLocal(string name)
            {
                foreach (var reference in _method.DeclaringSyntaxReferences)
                {
                    foreach (var node in reference.GetSyntax().DescendantNodes())
                    {
                        if (node is VariableDeclaratorSyntax declarator && declarator.Identifier.ValueText == name)
                        {
                            return true;
                        }
                    }
                }

                return false;
            }
        }
    }
}
