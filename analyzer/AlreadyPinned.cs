using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers
{
    /// <summary>
    /// Memory already pinned is not movable (DESIGN.md, PIN2003): facts about the object behind an
    /// <c>Unsafe.AsPointer</c> that make the address stable, besides an enclosing <c>fixed</c> and the Pinned Object Heap
    /// (<see cref="PinnedObjectHeap"/>, which also judges arrays reached through array elements and other objects' fields).
    /// </summary>
    internal static class AlreadyPinned
    {
        /// <summary>
        /// A pinned handle on the same object (local, parameter or field), allocated before the use in this method and
        /// held in a variable that no release (<c>Free</c>/<c>Dispose</c>) reaches between the allocation and the use.
        /// </summary>
        internal static bool ByLiveHandle(IInvocationOperation use, ISymbol? owner, PinApis apis)
        {
            if (owner is null)
            {
                return false;
            }

            var root = use.Root();
            foreach (var operation in root.Descendants())
            {
                if (operation.Syntax.SpanStart >= use.Syntax.SpanStart)
                {
                    continue;
                }

                var site = HandlePinSites.Find(operation, apis);
                if (site is null || site.Kind is not (Flow.PinKind.GCHandle or Flow.PinKind.TypedHandle)
                    || !SymbolEqualityComparer.Default.Equals(site.Target.ReferencedSymbol(), owner)
                    || Holder(operation) is not { } holder)
                {
                    continue;
                }

                if (!ReleasedBetween(root, holder, site.Kind, apis, operation.Syntax.Span.End, use.Syntax.SpanStart))
                {
                    return true;
                }
            }

            return false;
        }

        private static ISymbol? Holder(IOperation pin)
        {
            var value = pin;
            while (value.Parent is IConversionOperation or IParenthesizedOperation)
            {
                value = value.Parent;
            }

            return value.Parent switch
            {
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
                ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Value, value) => assignment.Target.ReferencedSymbol(),
                _ => null,
            };
        }

        private static bool ReleasedBetween(IOperation root, ISymbol holder, Flow.PinKind kind, PinApis apis, int start, int end)
        {
            foreach (var operation in root.Descendants())
            {
                if (operation is IInvocationOperation invocation && operation.Syntax.SpanStart >= start && operation.Syntax.SpanStart < end
                    && apis.IsRelease(kind, invocation.TargetMethod) && SymbolEqualityComparer.Default.Equals(invocation.Instance.ReferencedSymbol(), holder))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A field whose type also holds a pinned-handle field allocated over it: <c>_h = GCHandle.Alloc(_array, GCHandleType.Pinned)</c>
        /// or <c>new PinnedGCHandle&lt;T&gt;(_array)</c> somewhere in the type (by syntax, across partial parts).
        /// </summary>
        internal static bool ByHandleField(IFieldSymbol array)
        {
            foreach (var reference in array.ContainingType.DeclaringSyntaxReferences)
            {
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    ExpressionSyntax? pinned = node switch
                    {
                        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Alloc" } alloc, ArgumentList.Arguments: { Count: 2 } arguments }
                            when alloc.Expression.ToString().EndsWith("GCHandle", System.StringComparison.Ordinal)
                                && arguments[1].Expression.ToString().EndsWith("GCHandleType.Pinned", System.StringComparison.Ordinal) => arguments[0].Expression,
                        BaseObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 1 } creation when creation is ImplicitObjectCreationExpressionSyntax
                            || creation is ObjectCreationExpressionSyntax { Type: GenericNameSyntax { Identifier.ValueText: "PinnedGCHandle" } } => creation.ArgumentList!.Arguments[0].Expression,
                        _ => null,
                    };

                    if (pinned is not null && PinnedObjectHeapSyntax.Names(pinned, array.Name) && StoredInField(node, array.ContainingType))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>The handle is stored in a field of the type (<c>_h = …</c>), not a local.</summary>
        private static bool StoredInField(SyntaxNode pin, INamedTypeSymbol type)
        {
            var value = pin;
            while (value.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
            {
                value = value.Parent;
            }

            string? name = value.Parent switch
            {
                AssignmentExpressionSyntax { Left: IdentifierNameSyntax identifier } => identifier.Identifier.ValueText,
                AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } member } => member.Name.Identifier.ValueText,
                EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax } declarator } => declarator.Identifier.ValueText,
                _ => null,
            };

            if (name is null || (value.Parent is ImplicitObjectCreationExpressionSyntax))
            {
                return false;
            }

            foreach (var member in type.GetMembers(name))
            {
                if (member is IFieldSymbol { IsStatic: false } field && field.Type.Name is "GCHandle" or "PinnedGCHandle")
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// <c>GC.AllocateArray&lt;T&gt;(n, flag)</c> with a flag that is a parameter or readonly field, and the address taken
        /// only under <c>if (flag)</c> (or <c>flag ? … : …</c>, <c>flag &amp;&amp; …</c>) on the same symbol: on that side the array is on the POH.
        /// </summary>
        /// <param name="elements">Judge the elements of <paramref name="owner"/> (a jagged array: <c>values[i] = GC.AllocateArray&lt;T&gt;(n, isPinned)</c>,
        /// also through a local of the same method, <c>var tmp = GC.AllocateArray&lt;T&gt;(n, isPinned); … values[i] = tmp;</c>).</param>
        internal static bool UnderAllocationFlag(IInvocationOperation use, ISymbol? owner, System.Threading.CancellationToken cancellationToken, bool elements = false)
        {
            var model = use.SemanticModel;
            if (owner is not (ILocalSymbol or IFieldSymbol) || model is null)
            {
                return false;
            }

            ISymbol? flag = null;
            var allocated = false;
            foreach (var value in elements ? AssignedElements(owner) : AssignedValues(owner))
            {
                if (value is null || PinnedObjectHeapSyntax.ConditionalFlag(value) is not { } flagSyntax)
                {
                    return false;
                }

                var symbol = value.SyntaxTree == model.SyntaxTree
                    ? model.GetSymbolInfo(flagSyntax, cancellationToken).Symbol
                    : FieldNamed(owner.ContainingType, flagSyntax);
                if (symbol is not (IParameterSymbol or IFieldSymbol { IsReadOnly: true }) || (flag is not null && !SymbolEqualityComparer.Default.Equals(flag, symbol)))
                {
                    return false;
                }

                flag = symbol;
                allocated = true;
            }

            return allocated && flag is not null && Guarded(use.Syntax, flag, model, cancellationToken);
        }

        private static ISymbol? FieldNamed(INamedTypeSymbol? type, ExpressionSyntax name)
        {
            var text = name is MemberAccessExpressionSyntax member ? member.Name.Identifier.ValueText : ((IdentifierNameSyntax)name).Identifier.ValueText;
            if (type is null)
            {
                return null;
            }

            foreach (var candidate in type.GetMembers(text))
            {
                if (candidate is IFieldSymbol field)
                {
                    return field;
                }
            }

            return null;
        }

        /// <summary>Every value assigned to the local (in its method) or the field (in its type), by syntax.</summary>
        private static System.Collections.Generic.IEnumerable<ExpressionSyntax> AssignedValues(ISymbol owner)
        {
            var scopes = new System.Collections.Generic.List<SyntaxNode>();
            if (owner is ILocalSymbol local)
            {
                foreach (var reference in local.DeclaringSyntaxReferences)
                {
                    if (reference.GetSyntax().FirstAncestorOrSelf<MemberDeclarationSyntax>() is { } member)
                    {
                        scopes.Add(member);
                    }
                }
            }
            else
            {
                foreach (var reference in owner.ContainingType.DeclaringSyntaxReferences)
                {
                    scopes.Add(reference.GetSyntax());
                }
            }

            foreach (var scope in scopes)
            {
                foreach (var node in scope.DescendantNodes())
                {
                    if (node is VariableDeclaratorSyntax { Initializer: { } initializer } declarator && declarator.Identifier.ValueText == owner.Name)
                    {
                        yield return initializer.Value;
                    }
                    else if (node is AssignmentExpressionSyntax assignment && PinnedObjectHeapSyntax.Names(assignment.Left, owner.Name))
                    {
                        yield return assignment.Right;
                    }
                }
            }
        }

        /// <summary>
        /// Every array stored into an element of the local or field (<c>owner[i] = …</c>), by syntax; a local of the
        /// storing method stands for its single initializer (null when it has none or is assigned again).
        /// </summary>
        private static System.Collections.Generic.IEnumerable<ExpressionSyntax?> AssignedElements(ISymbol owner)
        {
            var scopes = new System.Collections.Generic.List<SyntaxNode>();
            foreach (var reference in (owner is ILocalSymbol ? owner.DeclaringSyntaxReferences : owner.ContainingType.DeclaringSyntaxReferences))
            {
                scopes.Add(owner is ILocalSymbol ? reference.GetSyntax().FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? reference.GetSyntax() : reference.GetSyntax());
            }

            foreach (var scope in scopes)
            {
                foreach (var node in scope.DescendantNodes())
                {
                    if (node is AssignmentExpressionSyntax { Left: ElementAccessExpressionSyntax element } assignment
                        && PinnedObjectHeapSyntax.Names(element.Expression, owner.Name))
                    {
                        yield return assignment.Right is IdentifierNameSyntax local ? SingleInitializer(assignment, local.Identifier.ValueText) : assignment.Right;
                    }
                    else if (node is ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument && PinnedObjectHeapSyntax.Names(argument.Expression, owner.Name))
                    {
                        // Array.Resize(ref values, n) and the like hand the whole array on: its elements are unknown.
                        yield return null;
                    }
                }
            }
        }

        /// <summary>The initializer of the local <paramref name="name"/> in scope at <paramref name="use"/> (the declaration in an
        /// enclosing block before it; C# forbids shadowing, so that is the one), or null when it has none or its block
        /// assigns it again or passes it by <c>ref</c>/<c>out</c>.</summary>
        private static ExpressionSyntax? SingleInitializer(SyntaxNode use, string name)
        {
            for (var block = use.Parent; block is not null and not MemberDeclarationSyntax; block = block.Parent)
            {
                if (block is not BlockSyntax scope)
                {
                    continue;
                }

                foreach (var statement in scope.Statements)
                {
                    if (statement.SpanStart >= use.SpanStart || statement is not LocalDeclarationStatementSyntax declaration)
                    {
                        continue;
                    }

                    foreach (var variable in declaration.Declaration.Variables)
                    {
                        if (variable.Identifier.ValueText != name)
                        {
                            continue;
                        }

                        foreach (var node in scope.DescendantNodes())
                        {
                            if (node is AssignmentExpressionSyntax { Left: IdentifierNameSyntax left } && left.Identifier.ValueText == name
                                || node is ArgumentSyntax { RefKindKeyword.RawKind: not 0, Expression: IdentifierNameSyntax refLeft } && refLeft.Identifier.ValueText == name)
                            {
                                return null;
                            }
                        }

                        return variable.Initializer?.Value;
                    }
                }
            }

            return null;
        }

        private static bool Guarded(SyntaxNode use, ISymbol flag, SemanticModel model, System.Threading.CancellationToken cancellationToken)
        {
            var child = use;
            for (var current = use.Parent; current is not null && current is not MemberDeclarationSyntax; child = current, current = current.Parent)
            {
                var guarded = current switch
                {
                    IfStatementSyntax branch => branch.Statement == child && IsFlag(branch.Condition, flag, model, cancellationToken),
                    ConditionalExpressionSyntax conditional => conditional.WhenTrue == child && IsFlag(conditional.Condition, flag, model, cancellationToken),
                    BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.LogicalAndExpression) => binary.Right == child && IsFlag(binary.Left, flag, model, cancellationToken),
                    _ => false,
                };

                if (guarded)
                {
                    return true;
                }

                if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                {
                    return false;
                }
            }

            return false;
        }

        private static bool IsFlag(ExpressionSyntax condition, ISymbol flag, SemanticModel model, System.Threading.CancellationToken cancellationToken)
        {
            while (condition is ParenthesizedExpressionSyntax parenthesized)
            {
                condition = parenthesized.Expression;
            }

            return condition is IdentifierNameSyntax or MemberAccessExpressionSyntax
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(condition, cancellationToken).Symbol, flag);
        }

        /// <summary>
        /// The address is only compared (<c>p == q</c>, <c>p &lt; end</c>), only subtracted from another value (an offset:
        /// <c>aligned - (long)Unsafe.AsPointer(ref a[0])</c>) or only evaluated inside <c>Debug.Assert</c> (a
        /// <c>[Conditional]</c> method): it is never stored or passed on, so the object moving cannot corrupt anything.
        /// </summary>
        internal static bool OnlyCompared(IInvocationOperation use)
        {
            IOperation value = use;
            while (value.Parent is IConversionOperation or IParenthesizedOperation)
            {
                value = value.Parent;
            }

            if (value.Parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan
                or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual })
            {
                return true;
            }

            if (value.Parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.Subtract } difference && ReferenceEquals(difference.RightOperand, value))
            {
                // aligned - (long)Unsafe.AsPointer(ref a[0]): an offset, not an address of the array (FASTER's ClearPage).
                return true;
            }

            for (var current = value.Parent; current is not null && current is not (IBlockOperation or IAnonymousFunctionOperation or ILocalFunctionOperation); current = current.Parent)
            {
                if (current is IInvocationOperation call && IsConditional(call.TargetMethod))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsConditional(IMethodSymbol method)
        {
            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass?.Name == "ConditionalAttribute")
                {
                    return true;
                }
            }

            return false;
        }
    }
}
