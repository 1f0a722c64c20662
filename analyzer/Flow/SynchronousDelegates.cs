using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// Whether a lambda or local function that captures a pin value runs only while the code that made it waits for it:
    /// a lambda handed straight to a method that only invokes it (the EINTR <c>retry(() =&gt; read(fd, p, n))</c> helper,
    /// <c>List&lt;T&gt;.ForEach</c>, <c>Parallel.For</c>), or a local function that is only ever called, never turned into a
    /// delegate. Such a capture is not an escape: the captured pointer is used inside the pin, as if written in place.
    /// </summary>
    /// <remarks>
    /// The fact about a source method's delegate parameter ("only invoked") is read from its syntax, one level deep, and
    /// computed once per parameter per compilation: every reference to the parameter in the body is a call of it (or of
    /// its <c>Invoke</c>), none is inside a nested function, and the method is neither async nor an iterator (both run
    /// the delegate after the call returned). Virtual, abstract, extern and partial-without-body methods stay unknown.
    /// See DESIGN.md, "What outlives and escapes mean".
    /// </remarks>
    internal sealed class SynchronousDelegates
    {
        /// <summary>Methods of the framework that invoke a delegate argument before they return and do not keep it.</summary>
        private static readonly ImmutableDictionary<string, ImmutableHashSet<string>> s_wellKnown = new Dictionary<string, ImmutableHashSet<string>>
        {
            ["System.Array"] = Names("ForEach", "Find", "FindAll", "FindIndex", "FindLast", "FindLastIndex", "Exists", "TrueForAll", "ConvertAll", "Sort"),
            ["System.Collections.Generic.List`1"] = Names("ForEach", "Find", "FindAll", "FindIndex", "FindLast", "FindLastIndex", "Exists", "TrueForAll", "ConvertAll", "RemoveAll", "Sort"),
            ["System.Threading.Tasks.Parallel"] = Names("For", "ForEach", "Invoke"),
            ["System.String"] = Names("Create"),
            ["System.MemoryExtensions"] = Names("Sort"),
            ["System.Linq.Enumerable"] = Names(
                "Aggregate", "All", "Any", "Average", "Count", "First", "FirstOrDefault", "Last", "LastOrDefault", "LongCount",
                "Max", "MaxBy", "Min", "MinBy", "Single", "SingleOrDefault", "Sum", "ToDictionary", "ToHashSet", "ToLookup"),
        }.ToImmutableDictionary(StringComparer.Ordinal);

        private readonly ConcurrentDictionary<IParameterSymbol, bool> _onlyInvoked = new(SymbolEqualityComparer.Default);

        /// <summary>
        /// True when <paramref name="nested"/> (a lambda or local function of <paramref name="function"/>) runs only inside
        /// the call that receives it, or only where it is called.
        /// </summary>
        internal bool RunsInPlace(IOperation nested, FunctionFlow function)
        {
            switch (nested)
            {
                case IAnonymousFunctionOperation lambda:
                    return !lambda.Symbol.IsAsync && !ContainsYield(lambda.Syntax) && IsInvokedInPlace(lambda);

                case ILocalFunctionOperation localFunction:
                    return !localFunction.Symbol.IsAsync && !ContainsYield(localFunction.Syntax) && IsOnlyCalled(localFunction.Symbol, function);

                default:
                    return false;
            }
        }

        /// <summary>The lambda is converted to a delegate that is passed straight to a method that only invokes it.</summary>
        private bool IsInvokedInPlace(IAnonymousFunctionOperation lambda)
        {
            IOperation current = lambda;
            while (current.Parent is IDelegateCreationOperation or IConversionOperation or IParenthesizedOperation)
            {
                current = current.Parent;
            }

            if (current.Parent is not IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation invocation })
            {
                return false;
            }

            var method = invocation.TargetMethod;
            if (method.ContainingType is { } type
                && s_wellKnown.TryGetValue(MetadataName(type.OriginalDefinition), out var names)
                && names.Contains(method.Name))
            {
                return true;
            }

            return _onlyInvoked.GetOrAdd(parameter.OriginalDefinition, OnlyInvoked);
        }

        private static string MetadataName(INamedTypeSymbol type)
        {
            var ns = type.ContainingNamespace;
            var name = type.MetadataName;
            return ns is null || ns.IsGlobalNamespace ? name : ns.ToDisplayString() + "." + name;
        }

        /// <summary>A local function that is only called in its function: no method group turns it into a delegate.</summary>
        private static bool IsOnlyCalled(IMethodSymbol localFunction, FunctionFlow function)
        {
            foreach (var operation in function.Body.Descendants())
            {
                if (operation is IMethodReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Method.OriginalDefinition, localFunction.OriginalDefinition))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The syntax summary of a source method's delegate parameter: every use of it is a call of it.</summary>
        private static bool OnlyInvoked(IParameterSymbol parameter)
        {
            if (parameter.ContainingSymbol is not IMethodSymbol method
                || method.IsAsync || method.IsExtern || method.IsAbstract || method.IsVirtual || (method.IsOverride && !method.IsSealed)
                || method.DeclaringSyntaxReferences.Length != 1 || parameter.RefKind != RefKind.None)
            {
                return false;
            }

            var declaration = method.DeclaringSyntaxReferences[0].GetSyntax();
            SyntaxNode? body = declaration switch
            {
                BaseMethodDeclarationSyntax baseMethod => (SyntaxNode?)baseMethod.Body ?? baseMethod.ExpressionBody,
                LocalFunctionStatementSyntax local => (SyntaxNode?)local.Body ?? local.ExpressionBody,
                _ => null,
            };

            if (body is null || ContainsYield(body))
            {
                return false;
            }

            var name = parameter.Name;
            foreach (var node in body.DescendantNodes())
            {
                if (node is not IdentifierNameSyntax identifier || identifier.Identifier.ValueText != name || !IsReferenceToLocalScope(identifier))
                {
                    continue;
                }

                if (InNestedFunction(identifier, body) || !IsCallOrNullCheck(identifier))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>False for a name that is a member of something else (<c>this.f</c>, <c>x.f</c>, <c>f: value</c>).</summary>
        private static bool IsReferenceToLocalScope(IdentifierNameSyntax identifier)
            => identifier.Parent switch
            {
                MemberAccessExpressionSyntax access => !ReferenceEquals(access.Name, identifier),
                MemberBindingExpressionSyntax => false,
                NameColonSyntax => false,
                NameEqualsSyntax => false,
                QualifiedNameSyntax => false,
                _ => true,
            };

        private static bool InNestedFunction(SyntaxNode node, SyntaxNode body)
        {
            for (var current = node.Parent; current is not null && !ReferenceEquals(current, body); current = current.Parent)
            {
                if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary><c>f(...)</c>, <c>f.Invoke(...)</c>, <c>f?.Invoke(...)</c>, or a comparison with null.</summary>
        private static bool IsCallOrNullCheck(IdentifierNameSyntax identifier)
        {
            var parent = identifier.Parent;
            while (parent is ParenthesizedExpressionSyntax)
            {
                parent = parent.Parent;
            }

            switch (parent)
            {
                case InvocationExpressionSyntax invocation:
                    return ReferenceEquals(invocation.Expression, identifier);
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Invoke", Parent: InvocationExpressionSyntax } access:
                    return ReferenceEquals(access.Expression, identifier);
                case ConditionalAccessExpressionSyntax { WhenNotNull: InvocationExpressionSyntax { Expression: MemberBindingExpressionSyntax { Name.Identifier.ValueText: "Invoke" } } } conditional:
                    return ReferenceEquals(conditional.Expression, identifier);
                case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.EqualsExpression) || binary.IsKind(SyntaxKind.NotEqualsExpression):
                    return IsNullLiteral(binary.Left) || IsNullLiteral(binary.Right);
                case IsPatternExpressionSyntax:
                    return true;
                case ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax { Expression: var callee } } }:
                    // ArgumentNullException.ThrowIfNull(f) and nameof(f) look at the delegate without keeping it.
                    return callee is IdentifierNameSyntax { Identifier.ValueText: "nameof" }
                        || callee is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ThrowIfNull" };
                default:
                    return false;
            }
        }

        private static bool IsNullLiteral(ExpressionSyntax expression) => expression.IsKind(SyntaxKind.NullLiteralExpression);

        /// <summary>A yield statement of this function (not of a nested one): the body is an iterator, run later.</summary>
        private static bool ContainsYield(SyntaxNode function)
        {
            foreach (var node in function.DescendantNodes(descendIntoChildren: child => ReferenceEquals(child, function) || child is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
            {
                if (node is YieldStatementSyntax)
                {
                    return true;
                }
            }

            return false;
        }

        private static ImmutableHashSet<string> Names(params string[] names) => ImmutableHashSet.Create(StringComparer.Ordinal, names);
    }
}
