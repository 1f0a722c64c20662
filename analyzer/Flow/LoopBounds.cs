using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// Whether the loops around a pin site run a number of times fixed by the code, not by the data (PIN1003: "the
    /// number of pinned objects depends on the data"). A loop has a constant trip count when it is
    /// <list type="bullet">
    /// <item><c>for (int i = C0; i &lt; C; i++)</c> (<c>&lt;=</c>, <c>&gt;</c>/<c>&gt;=</c> with the constant on the left,
    /// <c>i += C1</c> with a positive step) where the bound is a constant (literal or <c>const</c>) or the <c>Length</c> of
    /// a constant-size array, and the body never writes <c>i</c>;</item>
    /// <item><c>foreach</c> over a constant-size array: <c>new T[C]</c> or an array initializer, directly, in a local every
    /// assignment of which is one, or in a <c>readonly</c> field every assignment of which (initializer and constructors)
    /// is one.</item>
    /// </list>
    /// Anything else (<c>while</c>, a parameter bound, a field that may be reassigned) depends on the data.
    /// </summary>
    internal static class LoopBounds
    {
        /// <summary>True when every loop of <paramref name="function"/> around <paramref name="operation"/> has a constant trip count.</summary>
        internal static bool AllConstant(IOperation operation, FunctionFlow function)
        {
            var any = false;
            for (var current = operation.Parent; current is not null && !ReferenceEquals(current, function.Function); current = current.Parent)
            {
                if (current is ILoopOperation loop)
                {
                    if (!IsConstant(loop, function))
                    {
                        return false;
                    }

                    any = true;
                }
            }

            return any;
        }

        private static bool IsConstant(ILoopOperation loop, FunctionFlow function)
        {
            switch (loop)
            {
                case IForLoopOperation forLoop:
                    return ConstantFor(forLoop, function);
                case IForEachLoopOperation forEach:
                    return IsConstantSizeArray(forEach.Collection, function, depth: 0);
                default:
                    return false;
            }
        }

        private static bool ConstantFor(IForLoopOperation loop, FunctionFlow function)
        {
            if (loop.Condition is not IBinaryOperation condition)
            {
                return false;
            }

            IOperation counter, bound;
            switch (condition.OperatorKind)
            {
                case BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual:
                    counter = condition.LeftOperand;
                    bound = condition.RightOperand;
                    break;
                case BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual:
                    counter = condition.RightOperand;
                    bound = condition.LeftOperand;
                    break;
                default:
                    return false;
            }

            if (counter.WalkDownConversions() is not ILocalReferenceOperation { Local: { IsRef: false } local } || !IsConstantBound(bound, function))
            {
                return false;
            }

            // Starts at a constant, declared or assigned by the loop itself.
            var starts = false;
            foreach (var before in loop.Before)
            {
                foreach (var node in before.DescendantsAndSelf())
                {
                    if (node is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                    {
                        starts = declarator.Initializer?.Value.ConstantValue.HasValue == true;
                    }
                    else if (node is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment && SymbolEqualityComparer.Default.Equals(target.Local, local))
                    {
                        starts = assignment.Value.ConstantValue.HasValue;
                    }
                }
            }

            if (!starts || loop.AtLoopBottom.Length != 1 || !IsPositiveStep(loop.AtLoopBottom[0], local))
            {
                return false;
            }

            foreach (var node in loop.Body.DescendantsAndSelf())
            {
                if (node is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local) && IsWrite(reference))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsPositiveStep(IOperation step, ILocalSymbol local)
        {
            if (step is IExpressionStatementOperation statement)
            {
                step = statement.Operation;
            }

            switch (step)
            {
                case IIncrementOrDecrementOperation { Kind: OperationKind.Increment, Target: ILocalReferenceOperation target }:
                    return SymbolEqualityComparer.Default.Equals(target.Local, local);
                case ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add, Target: ILocalReferenceOperation target } compound:
                    return SymbolEqualityComparer.Default.Equals(target.Local, local)
                        && compound.Value.ConstantValue is { HasValue: true, Value: int and > 0 or long and > 0 };
                default:
                    return false;
            }
        }

        private static bool IsWrite(IOperation reference)
            => reference.Parent switch
            {
                ISimpleAssignmentOperation assignment => ReferenceEquals(assignment.Target, reference),
                ICompoundAssignmentOperation compound => ReferenceEquals(compound.Target, reference),
                ICoalesceAssignmentOperation coalesce => ReferenceEquals(coalesce.Target, reference),
                IIncrementOrDecrementOperation or IAddressOfOperation or IDeconstructionAssignmentOperation or ITupleOperation => true,
                IArgumentOperation { Parameter.RefKind: not RefKind.None and not RefKind.In } => true,
                IVariableInitializerOperation => true,
                _ => false,
            };

        private static bool IsConstantBound(IOperation bound, FunctionFlow function)
        {
            bound = bound.WalkDownConversions()!;
            if (bound.ConstantValue.HasValue)
            {
                return true;
            }

            return bound is IPropertyReferenceOperation { Property.Name: "Length" or "LongLength", Instance: { Type: IArrayTypeSymbol } array }
                && IsConstantSizeArray(array, function, depth: 0);
        }

        private static bool IsConstantSizeArray(IOperation? value, FunctionFlow function, int depth)
        {
            value = value.WalkDownConversions();
            switch (value)
            {
                case IArrayCreationOperation creation:
                    foreach (var size in creation.DimensionSizes)
                    {
                        if (!size.ConstantValue.HasValue)
                        {
                            return false;
                        }
                    }

                    return true;
                case ILocalReferenceOperation { Local: { IsRef: false } local } when depth < 2:
                    return LocalIsConstantSize(local, function, depth);
                case IFieldReferenceOperation { Field: { IsReadOnly: true } field }:
                    return FieldIsConstantSize(field);
                default:
                    return false;
            }
        }

        private static bool LocalIsConstantSize(ILocalSymbol local, FunctionFlow function, int depth)
        {
            var assigned = false;
            foreach (var reference in function.ReferencesTo(local))
            {
                if (IsWrite(reference))
                {
                    if (reference.Parent is not ISimpleAssignmentOperation assignment || !IsConstantSizeArray(assignment.Value, function, depth + 1))
                    {
                        return false;
                    }

                    assigned = true;
                }
            }

            foreach (var node in function.Body.Descendants())
            {
                if (node is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    if (declarator.Initializer is not { } initializer || !IsConstantSizeArray(initializer.Value, function, depth + 1))
                    {
                        return false;
                    }

                    assigned = true;
                }
            }

            return assigned;
        }

        /// <summary>
        /// A readonly field is assigned only by its initializer and the constructors of its type, read as syntax (they may
        /// sit in other trees): <c>new T[N]</c> with a literal or a <c>const</c> of the type, or an array initializer.
        /// </summary>
        private static bool FieldIsConstantSize(IFieldSymbol field)
        {
            var assigned = false;
            foreach (var reference in field.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is VariableDeclaratorSyntax { Initializer: { } initializer })
                {
                    if (!IsConstantSizeSyntax(initializer.Value, field.ContainingType))
                    {
                        return false;
                    }

                    assigned = true;
                }
            }

            foreach (var typeReference in field.ContainingType.DeclaringSyntaxReferences)
            {
                foreach (var node in typeReference.GetSyntax().DescendantNodes())
                {
                    if (node is AssignmentExpressionSyntax assignment && PinnedObjectHeapSyntax.Names(assignment.Left, field.Name))
                    {
                        if (!IsConstantSizeSyntax(assignment.Right, field.ContainingType))
                        {
                            return false;
                        }

                        assigned = true;
                    }
                    else if (node is ArgumentSyntax { RefKindKeyword.RawKind: not 0 } byReference && PinnedObjectHeapSyntax.Names(byReference.Expression, field.Name))
                    {
                        return false;
                    }
                }
            }

            return assigned;
        }

        private static bool IsConstantSizeSyntax(ExpressionSyntax value, INamedTypeSymbol type)
        {
            switch (value)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return IsConstantSizeSyntax(parenthesized.Expression, type);
                case ImplicitArrayCreationExpressionSyntax or InitializerExpressionSyntax:
                    return true;
                case ArrayCreationExpressionSyntax { Initializer: not null }:
                    return true;
                case ArrayCreationExpressionSyntax { Type.RankSpecifiers: { Count: > 0 } ranks }:
                    foreach (var size in ranks[0].Sizes)
                    {
                        var constant = size switch
                        {
                            LiteralExpressionSyntax => true,
                            IdentifierNameSyntax name => IsConstOf(type, name.Identifier.ValueText),
                            _ => false,
                        };

                        if (!constant)
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    return false;
            }
        }

        private static bool IsConstOf(INamedTypeSymbol type, string name)
        {
            var members = type.GetMembers(name);
            return members.Length == 1 && members[0] is IFieldSymbol { IsConst: true };
        }
    }
}
