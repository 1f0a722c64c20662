using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// The extent of a <c>fixed</c> statement on the control-flow graph. The fixed local owns a
    /// <c>LocalLifetime</c> region that is exactly the statement (DESIGN.md, "Facts about Roslyn's view of
    /// pins"); a read of an outer local in a block outside that region, reachable from the region without an
    /// intervening write, is a read "after the statement" — of a pointer whose pin has ended.
    /// </summary>
    internal static class FixedScope
    {
        /// <param name="harmless">Reads that cannot see the pointer (another field of a stack buffer); null when every read counts.</param>
        internal static bool IsReadAfter(PinSite site, ILocalSymbol outer, FunctionFlow function, System.Func<ILocalReferenceOperation, bool>? harmless = null)
        {
            if (site.FixedLocal is not { } fixedLocal || function.Graph is not { } graph)
            {
                return false;
            }

            var region = RegionOwning(graph.Root, fixedLocal);
            if (region is null)
            {
                return false;
            }

            var visited = new HashSet<int>();
            var pending = new Stack<BasicBlock>();
            for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
            {
                var block = graph.Blocks[ordinal];
                foreach (var branch in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
                {
                    if (branch?.Destination is { } destination && !Inside(region, destination) && visited.Add(destination.Ordinal))
                    {
                        pending.Push(destination);
                    }
                }
            }

            while (pending.Count > 0)
            {
                var block = pending.Pop();
                var killed = false;
                foreach (var operation in block.Operations)
                {
                    if (Reads(operation, outer, harmless))
                    {
                        return true;
                    }

                    var statement = operation is IExpressionStatementOperation expression ? expression.Operation : operation;
                    if (statement is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Local, outer))
                    {
                        killed = true;
                        break;
                    }
                }

                if (killed)
                {
                    continue;
                }

                if (block.BranchValue is { } value && Reads(value, outer, harmless))
                {
                    return true;
                }

                foreach (var branch in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
                {
                    if (branch?.Destination is { } destination && visited.Add(destination.Ordinal))
                    {
                        pending.Push(destination);
                    }
                }
            }

            return false;
        }

        private static bool Inside(ControlFlowRegion region, BasicBlock block)
            => block.Ordinal >= region.FirstBlockOrdinal && block.Ordinal <= region.LastBlockOrdinal;

        /// <summary>The <c>LocalLifetime</c> region that owns <paramref name="local"/>: for a fixed local, the statement's extent.</summary>
        internal static ControlFlowRegion? RegionOwning(ControlFlowRegion region, ILocalSymbol local)
        {
            foreach (var candidate in region.Locals)
            {
                if (SymbolEqualityComparer.Default.Equals(candidate, local))
                {
                    return region;
                }
            }

            foreach (var nested in region.NestedRegions)
            {
                if (RegionOwning(nested, local) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        private static bool Reads(IOperation operation, ILocalSymbol local, System.Func<ILocalReferenceOperation, bool>? harmless)
        {
            foreach (var descendant in operation.SelfAndDescendants())
            {
                if (descendant is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)
                    && !(reference.Parent is ISimpleAssignmentOperation assignment && ReferenceEquals(assignment.Target, reference))
                    && harmless?.Invoke(reference) != true)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
