using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers
{
    /// <summary>
    /// PIN2003's local fact for fields that are not "readonly, every assignment POH": a field of this object assigned a
    /// Pinned Object Heap allocation by an earlier statement of the same block, with nothing in between that could
    /// assign it again — no call, creation, lambda, <c>ref</c>/<c>out</c> argument or assignment of the field (FASTER's
    /// <c>buffer = GC.AllocateArray&lt;byte&gt;(n, true); long a = (long)Unsafe.AsPointer(ref buffer[0]);</c>). Another
    /// thread could still swap the field, but code that does so without a lock has a bigger bug than a pin.
    /// </summary>
    internal static class RecentPinnedAllocation
    {
        /// <summary>True when the array behind <paramref name="reference"/> (<c>ref field[i]</c>,
        /// <c>GetArrayDataReference(field)</c>) is a field of this object that was just assigned POH memory.</summary>
        internal static bool Holds(IOperation reference, SyntaxNode use)
        {
            var array = reference.WalkDownConversions() switch
            {
                IArrayElementReferenceOperation element => element.ArrayReference,
                IInvocationOperation { TargetMethod.Name: "GetArrayDataReference", Arguments.Length: 1 } data => data.Arguments[0].Value,
                _ => null,
            };

            var path = array.WalkDownConversions() switch
            {
                IFieldReferenceOperation field => Path(field),
                IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Property: var property } when IsAutoProperty(property)
                    // LibHac's private PageList[] InternalFreeLists { get; set; }: an auto-property is a field with a name.
                    => new FieldPath(property.Name, text: null, System.Collections.Immutable.ImmutableHashSet<string>.Empty),
                _ => null,
            };

            if (path is null)
            {
                return false;
            }

            var model = reference.SemanticModel;

            SyntaxNode child = use;
            for (var node = use.Parent; node is not null; child = node, node = node.Parent)
            {
                if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax
                    or ForStatementSyntax or CommonForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax)
                {
                    // A loop's next iteration may follow a reassignment later in its body.
                    return false;
                }

                if (node is not BlockSyntax block || child is not StatementSyntax statement)
                {
                    continue;
                }

                if (MayReassign(statement, path, until: use.SpanStart, use, model))
                {
                    return false;
                }

                var index = block.Statements.IndexOf(statement);
                for (var i = index - 1; i >= 0; i--)
                {
                    var earlier = block.Statements[i];
                    if (earlier is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax assignment }
                        && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                        && path.IsTarget(assignment.Left))
                    {
                        return PinnedObjectHeapSyntax.IsAllocation(assignment.Right);
                    }

                    if (MayReassign(earlier, path, until: int.MaxValue, use: null, model))
                    {
                        return false;
                    }
                }

                // Nothing in this block before the use: the assignment may precede the enclosing statement.
            }

            return false;
        }

        /// <summary>A source property of this type that is not virtual and whose accessors have no bodies (<c>{ get; set; }</c>).</summary>
        private static bool IsAutoProperty(IPropertySymbol property)
        {
            if (property.IsIndexer || property.IsVirtual || property.IsAbstract || property.IsOverride || property.DeclaringSyntaxReferences.Length != 1
                || property.DeclaringSyntaxReferences[0].GetSyntax() is not PropertyDeclarationSyntax { AccessorList.Accessors: { Count: > 0 } accessors, ExpressionBody: null })
            {
                return false;
            }

            foreach (var accessor in accessors)
            {
                if (accessor.Body is not null || accessor.ExpressionBody is not null)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Anything in <paramref name="node"/> before <paramref name="until"/> that could assign the field: a call, a creation, a lambda, an assignment or <c>ref</c> of the name.</summary>
        /// <param name="use">The use itself: a call or creation that encloses it runs after it (its arguments first), so it is not "in between".</param>
        private static bool MayReassign(SyntaxNode node, FieldPath path, int until, SyntaxNode? use, SemanticModel? model)
        {
            foreach (var inner in node.DescendantNodesAndSelf())
            {
                if (inner.SpanStart >= until)
                {
                    break;
                }

                if (use is not null && inner.Span.Contains(use.Span))
                {
                    // Utility.RoundUp((long)Unsafe.AsPointer(ref buffer[0]), 64): the enclosing call comes after the use.
                    continue;
                }

                switch (inner)
                {
                    case InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax when CannotReach(inner, path, model):
                        // Encoding.UTF8.GetBytes(s, request.buffer): a library call handed neither the object nor a
                        // callback cannot assign the field.
                        break;
                    case InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
                        return true;
                    case AssignmentExpressionSyntax assignment when path.Touches(assignment.Left):
                        return true;
                    case PrefixUnaryExpressionSyntax { Operand: var operand } when path.Touches(operand):
                        return true;
                    case PostfixUnaryExpressionSyntax { Operand: var operand } when path.Touches(operand):
                        return true;
                    case ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument when path.Touches(argument.Expression):
                        return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A call or creation of a method from a referenced assembly (not of this compilation, which could reach the field
        /// through any reference it holds) whose receiver and arguments are neither the object holding the field nor a
        /// delegate, and that is not given anything by <c>ref</c>.
        /// </summary>
        private static bool CannotReach(SyntaxNode call, FieldPath path, SemanticModel? model)
        {
            if (model is null || model.SyntaxTree != call.SyntaxTree || model.GetSymbolInfo(call).Symbol is not IMethodSymbol method
                || !method.DeclaringSyntaxReferences.IsEmpty || method.ContainingAssembly is null
                || SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, model.Compilation.Assembly))
            {
                return false;
            }

            var arguments = call switch
            {
                InvocationExpressionSyntax invocation => invocation.ArgumentList.Arguments,
                BaseObjectCreationExpressionSyntax { ArgumentList: { } list } => list.Arguments,
                _ => default,
            };

            if (call is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: var receiver } } && !method.IsStatic && !IsLibraryValueHolder(receiver, model))
            {
                return false;
            }

            foreach (var argument in arguments)
            {
                if (argument.RefKindKeyword.RawKind != 0 || path.MayHold(argument.Expression, model)
                    || model.GetTypeInfo(argument.Expression).ConvertedType?.TypeKind == TypeKind.Delegate)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A receiver of a library type that can hold only library objects and values (<c>Encoding.UTF8</c>, a <c>List&lt;byte&gt;</c>).</summary>
        private static bool IsLibraryValueHolder(ExpressionSyntax receiver, SemanticModel model)
        {
            if (receiver.DescendantNodesAndSelf().Any(node => node is ThisExpressionSyntax) || model.GetTypeInfo(receiver).Type is not { } type
                || type.TypeKind == TypeKind.Error || !type.DeclaringSyntaxReferences.IsEmpty)
            {
                return false;
            }

            return type is not INamedTypeSymbol named || named.TypeArguments.All(argument => argument.IsValueType && argument.DeclaringSyntaxReferences.IsEmpty || argument.SpecialType == SpecialType.System_String);
        }

        /// <summary>
        /// The field the array is read from, as a path of names: <c>buffer</c> / <c>this.buffer</c> of this object, or
        /// <c>state[version].tableRaw</c> — a field reached through locals, fields and element accesses whose indices are
        /// names or constants (Garnet's <c>state[version].tableRaw = GC.AllocateArray…; ref state[version].tableRaw[0]</c>).
        /// </summary>
        private static FieldPath? Path(IFieldReferenceOperation field)
        {
            if (field.Instance is null or IInstanceReferenceOperation)
            {
                return new FieldPath(field.Field.Name, text: null, System.Collections.Immutable.ImmutableHashSet<string>.Empty);
            }

            if (field.Syntax is not MemberAccessExpressionSyntax { Expression: var receiver })
            {
                return null;
            }

            var names = System.Collections.Immutable.ImmutableHashSet.CreateBuilder<string>(System.StringComparer.Ordinal);
            return SimplePath(receiver, names) ? new FieldPath(field.Field.Name, Normalize(field.Syntax), names.ToImmutable()) : null;
        }

        private static bool SimplePath(ExpressionSyntax expression, System.Collections.Immutable.ImmutableHashSet<string>.Builder names)
        {
            switch (expression)
            {
                case IdentifierNameSyntax identifier:
                    names.Add(identifier.Identifier.ValueText);
                    return true;
                case ThisExpressionSyntax:
                    return true;
                case MemberAccessExpressionSyntax { Name: IdentifierNameSyntax member } access:
                    names.Add(member.Identifier.ValueText);
                    return SimplePath(access.Expression, names);
                case ElementAccessExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments } element:
                    var index = arguments[0].Expression;
                    if (index is IdentifierNameSyntax indexName)
                    {
                        names.Add(indexName.Identifier.ValueText);
                    }
                    else if (index is not LiteralExpressionSyntax)
                    {
                        return false;
                    }

                    return SimplePath(element.Expression, names);
                default:
                    return false;
            }
        }

        private static string Normalize(SyntaxNode node)
        {
            var text = new System.Text.StringBuilder();
            foreach (var token in node.DescendantTokens())
            {
                text.Append(token.ValueText);
            }

            var result = text.ToString();
            return result.StartsWith("this.", System.StringComparison.Ordinal) ? result.Substring(5) : result;
        }

        private sealed class FieldPath
        {
            private readonly string _field;
            private readonly string? _text;
            private readonly System.Collections.Immutable.ImmutableHashSet<string> _names;

            internal FieldPath(string field, string? text, System.Collections.Immutable.ImmutableHashSet<string> names)
            {
                _field = field;
                _text = text;
                _names = names;
            }

            /// <summary>The assignment target is the field itself (the same path).</summary>
            internal bool IsTarget(ExpressionSyntax target)
                => _text is null ? PinnedObjectHeapSyntax.Names(target, _field) : Normalize(target) == _text;

            /// <summary>
            /// The value may be (or lead to) the object holding the field: <c>this</c>, or any object but a string or an
            /// array of values. A span of the field (<c>request.buffer.AsSpan()</c>) is its elements, not its holder.
            /// </summary>
            internal bool MayHold(ExpressionSyntax value, SemanticModel model)
            {
                foreach (var node in value.DescendantNodesAndSelf())
                {
                    if (node is ThisExpressionSyntax)
                    {
                        return true;
                    }
                }

                // Any object could lead to the holder; a string, an array of values or a value (a span) cannot.
                var type = model.GetTypeInfo(value).Type;
                return type is null || type.TypeKind == TypeKind.Error
                    || (type.IsReferenceType && type.SpecialType != SpecialType.System_String && type is not IArrayTypeSymbol { ElementType.IsValueType: true })
                    || (type.IsValueType && !type.DeclaringSyntaxReferences.IsEmpty);
            }

            /// <summary>The expression may change the field or any name its path goes through.</summary>
            internal bool Touches(ExpressionSyntax target)
            {
                if (_text is null)
                {
                    return PinnedObjectHeapSyntax.Names(target, _field);
                }

                var last = target switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    MemberAccessExpressionSyntax { Name: var name } => name.Identifier.ValueText,
                    ElementAccessExpressionSyntax { Expression: var indexed } => indexed is IdentifierNameSyntax array ? array.Identifier.ValueText
                        : indexed is MemberAccessExpressionSyntax { Name: var arrayName } ? arrayName.Identifier.ValueText : null,
                    _ => null,
                };

                return last is not null && (last == _field || _names.Contains(last));
            }
        }
    }
}
