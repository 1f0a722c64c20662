using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers
{
    internal static class OperationExtensions
    {
        /// <summary>Strips conversions and parentheses: the value underneath is the same value.</summary>
        internal static IOperation? WalkDownConversions(this IOperation? operation)
        {
            while (true)
            {
                switch (operation)
                {
                    case IConversionOperation conversion:
                        operation = conversion.Operand;
                        break;
                    case IParenthesizedOperation parenthesized:
                        operation = parenthesized.Operand;
                        break;
                    default:
                        return operation;
                }
            }
        }

        /// <summary>
        /// The variable an operation reads — local, parameter, field or property (conversions stripped) — or null.
        /// Used to name a sink, a delegate or the holder of an object.
        /// </summary>
        /// <summary>
        /// A <c>fixed</c> initializer without its wrappers: the array-to-pointer conversion of <c>fixed (int* p = array)</c>
        /// and the address of a movable variable (<c>&amp;s.Field</c>) have no public IOperation, only a child.
        /// </summary>
        internal static IOperation? WalkDownFixedInitializer(this IOperation? operation)
        {
            operation = operation.WalkDownConversions();
            for (var depth = 0; depth < 3 && operation is { Kind: OperationKind.None } wrapper && wrapper.ChildOperations.Count == 1; depth++)
            {
                operation = System.Linq.Enumerable.First(wrapper.ChildOperations).WalkDownConversions();
            }

            return operation;
        }

        internal static ISymbol? ReferencedSymbol(this IOperation? operation)
            => operation.WalkDownConversions() switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                IFieldReferenceOperation field => field.Field,
                IPropertyReferenceOperation property => property.Property,
                _ => null,
            };

        /// <summary>The operation and all of its descendants.</summary>
        internal static System.Collections.Generic.IEnumerable<IOperation> SelfAndDescendants(this IOperation operation)
        {
            yield return operation;
            foreach (var descendant in operation.Descendants())
            {
                yield return descendant;
            }
        }

        /// <summary>The outermost operation of the tree that holds <paramref name="operation"/>.</summary>
        internal static IOperation Root(this IOperation operation)
        {
            while (operation.Parent is not null)
            {
                operation = operation.Parent;
            }

            return operation;
        }
    }
}
