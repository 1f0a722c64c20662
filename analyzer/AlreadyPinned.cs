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
                if (!(symbol is IParameterSymbol or IFieldSymbol { IsReadOnly: true } || (symbol is IPropertySymbol property && IsStableProperty(property, depth: 0)))
                    || (flag is not null && !SymbolEqualityComparer.Default.Equals(flag, symbol)))
                {
                    return false;
                }

                flag = symbol;
                allocated = true;
            }

            return allocated && flag is not null && Guarded(use.Syntax, flag, model, cancellationToken);
        }

        /// <summary>
        /// A property that reads the same on every call: no setter, and a get-only auto-property or a getter whose expression
        /// is made of constants, readonly fields, other such properties and type queries such as
        /// <c>RuntimeHelpers.IsReferenceOrContainsReferences&lt;T&gt;()</c> (Garnet's
        /// <c>static bool IsBlittable =&gt; Utility.IsBlittable&lt;T&gt;();</c>), one level into a parameterless helper.
        /// </summary>
        private static bool IsStableProperty(IPropertySymbol property, int depth)
        {
            if (property.SetMethod is not null || property.IsIndexer || depth > 2)
            {
                return false;
            }

            foreach (var reference in property.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not PropertyDeclarationSyntax declaration)
                {
                    return false;
                }

                if (declaration.ExpressionBody is { } arrow)
                {
                    return IsStableExpression(arrow.Expression, property.ContainingType, depth);
                }

                if (declaration.AccessorList is { } accessors)
                {
                    foreach (var accessor in accessors.Accessors)
                    {
                        if (accessor.Body is null && accessor.ExpressionBody is null)
                        {
                            // { get; } auto-property: assigned only while the object is built, like a readonly field.
                            return accessors.Accessors.Count == 1;
                        }

                        if (accessor.ExpressionBody is { } accessorArrow)
                        {
                            return IsStableExpression(accessorArrow.Expression, property.ContainingType, depth);
                        }
                    }
                }
            }

            return false;
        }

        private static bool IsStableExpression(ExpressionSyntax expression, INamedTypeSymbol type, int depth)
        {
            switch (expression)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return IsStableExpression(parenthesized.Expression, type, depth);
                case LiteralExpressionSyntax or TypeOfExpressionSyntax or SizeOfExpressionSyntax or DefaultExpressionSyntax:
                    return true;
                case PrefixUnaryExpressionSyntax { Operand: var operand } when expression.IsKind(SyntaxKind.LogicalNotExpression):
                    return IsStableExpression(operand, type, depth);
                case BinaryExpressionSyntax binary:
                    return IsStableExpression(binary.Left, type, depth) && IsStableExpression(binary.Right, type, depth);
                case InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } call:
                    var name = call.Expression switch
                    {
                        MemberAccessExpressionSyntax { Name: var member } => member,
                        SimpleNameSyntax simple => simple,
                        _ => null,
                    };
                    if (name?.Identifier.ValueText is "IsReferenceOrContainsReferences" or "SizeOf")
                    {
                        return true;
                    }

                    if (name is null || depth > 1)
                    {
                        return false;
                    }

                    // One level into a parameterless static helper of the compilation: Utility.IsBlittable<T>().
                    foreach (var candidate in CandidateMethods(call.Expression, type, name.Identifier.ValueText))
                    {
                        foreach (var reference in candidate.DeclaringSyntaxReferences)
                        {
                            if (reference.GetSyntax() is MethodDeclarationSyntax { ExpressionBody: { } body, ParameterList.Parameters.Count: 0 }
                                && IsStableExpression(body.Expression, candidate.ContainingType, depth + 1))
                            {
                                return true;
                            }
                        }
                    }

                    return false;
                case IdentifierNameSyntax or MemberAccessExpressionSyntax:
                    var text = expression is MemberAccessExpressionSyntax access ? access.Name.Identifier.ValueText : ((IdentifierNameSyntax)expression).Identifier.ValueText;
                    foreach (var member in type.GetMembers(text))
                    {
                        switch (member)
                        {
                            case IFieldSymbol field when field.IsConst || field.IsReadOnly:
                                return true;
                            case IPropertySymbol nested when IsStableProperty(nested, depth + 1):
                                return true;
                        }
                    }

                    return false;
                default:
                    return false;
            }
        }

        /// <summary>Static parameterless methods named <paramref name="name"/>: on this type, or on the type a qualified call names.</summary>
        private static System.Collections.Generic.IEnumerable<IMethodSymbol> CandidateMethods(ExpressionSyntax callee, INamedTypeSymbol type, string name)
        {
            var owners = new System.Collections.Generic.List<INamedTypeSymbol> { type };
            if (callee is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: var typeName } })
            {
                owners.Clear();
                for (var scope = type.ContainingNamespace; scope is not null && owners.Count == 0; scope = scope.ContainingNamespace)
                {
                    foreach (var candidateType in scope.GetTypeMembers(typeName))
                    {
                        owners.Add(candidateType);
                    }

                    if (scope.IsGlobalNamespace)
                    {
                        break;
                    }
                }
            }

            foreach (var owner in owners)
            {
                foreach (var member in owner.GetMembers(name))
                {
                    if (member is IMethodSymbol { IsStatic: true, Parameters.IsEmpty: true } method)
                    {
                        yield return method;
                    }
                }
            }
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
                if (candidate is IFieldSymbol or IPropertySymbol)
                {
                    return candidate;
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
                        yield return assignment.Right is IdentifierNameSyntax local ? Flow.SourceSearch.SingleInitializer(assignment, local.Identifier.ValueText) : assignment.Right;
                    }
                    else if (node is ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument && PinnedObjectHeapSyntax.Names(argument.Expression, owner.Name))
                    {
                        // Array.Resize(ref values, n) and the like hand the whole array on: its elements are unknown.
                        yield return null;
                    }
                }
            }
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
        /// <c>[Conditional]</c> method), or only handed to a prefetch hint (<c>Sse.Prefetch0</c>): it is never stored, passed on
        /// or dereferenced, so the object moving cannot corrupt anything.
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

            if (value.Parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { Name: var hint } prefetch } }
                && hint.StartsWith("Prefetch", System.StringComparison.Ordinal)
                && prefetch.ContainingType?.ContainingNamespace?.ToDisplayString() == "System.Runtime.Intrinsics.X86")
            {
                // Sse.Prefetch0(Unsafe.AsPointer(ref a[i])): a cache hint, never a memory access; a stale address only
                // prefetches the wrong line (Garnet's replay sketch).
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
