using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// Where a pin ends, for <see cref="CompletionPaths"/>: leaving the <c>fixed</c> statement's region, the handle's
    /// release (as <see cref="ReleasePaths"/> recognises it, <c>IsAllocated</c> guards included), or the method's end.
    /// </summary>
    internal sealed class PinEnd
    {
        private PinEnd(PinSite site, ReleasePaths? releases, string holder, string verb)
        {
            Site = site;
            Releases = releases;
            Holder = holder;
            Verb = verb;
        }

        internal PinSite Site { get; }

        /// <summary>For handle pins: the release facts of the pin's function; null for <c>fixed</c>.</summary>
        internal ReleasePaths? Releases { get; }

        internal string Holder { get; }

        internal string Verb { get; }

        internal static PinEnd ForFixed(PinSite site) => new(site, null, string.Empty, string.Empty);

        /// <param name="holders">The locals and fields that hold the handle, to name it in the message.</param>
        internal static PinEnd ForRelease(PinSite site, ReleasePaths releases, IEnumerable<ISymbol> holders)
        {
            string? name = null;
            foreach (var holder in holders)
            {
                if (name is null || holder is ILocalSymbol)
                {
                    name = holder.Name;
                    if (holder is ILocalSymbol)
                    {
                        break;
                    }
                }
            }

            return new PinEnd(site, releases, name is null ? "the handle" : $"'{name}'", site.Kind == PinKind.GCHandle ? "freed" : "disposed");
        }
    }

    /// <summary>
    /// The completion-wait fact of the engine: for a pointer passed to a retaining call that starts a request (overlapped
    /// I/O, <c>aio_*</c>, an io_uring submission, a registration, a task), is the request finished on every normal path
    /// from the call to the end of the pin? Such a call keeps the pointer only while the pin lasts, so it is not an escape.
    /// A path that reaches the pin's end first is named in the message (<c>when the fixed statement ends via 'return'</c>).
    /// </summary>
    /// <remarks>
    /// Path-sensitive on the function's control-flow graph, like <see cref="ReleasePaths"/>, whose facts it reuses for the
    /// end of a handle pin (its release, <c>IsAllocated</c> guards, pinning again). A path is finished by a wait tied to the
    /// request (<see cref="AsyncRequest.Step"/>) or by a branch on a value that reports completion (the call's own TRUE,
    /// <c>GetOverlappedResult</c>, <c>aio_error</c>, the last error not being <c>ERROR_IO_PENDING</c>). Waits in a
    /// <c>finally</c> inside the pin count on every branch that runs the <c>finally</c>. Exceptional paths are not
    /// followed: an exception between the call and the wait is a failure the caller sees, not a silent escape.
    /// See docs/rules/PIN2002.md, "What it does not report".
    /// </remarks>
    internal static class CompletionPaths
    {
        private enum Verdict
        {
            /// <summary>The call was not found in the graph: nothing is claimed.</summary>
            Unknown,

            /// <summary>Every normal path finishes the request before the pin ends.</summary>
            Finished,

            /// <summary>Some path reaches the end of the pin with the request still running.</summary>
            Pending,
        }

        /// <summary>
        /// The sinks without the retaining calls whose request finishes inside the pin; the others that start a request
        /// carry the path on which it may still run (<see cref="PinSink.Pending"/>).
        /// </summary>
        internal static ImmutableArray<PinSink> Settle(ImmutableArray<PinSink> sinks, FunctionFlow function, PinEnd end, CancellationToken cancellationToken)
        {
            var graph = function.Graph;
            if (graph is null || !HasRetainingCall(sinks))
            {
                return sinks;
            }

            FunctionValues? values = null;
            var settled = ImmutableArray.CreateBuilder<PinSink>(sinks.Length);
            foreach (var sink in sinks)
            {
                if (sink.Kind != PinSinkKind.RetainingCall || sink.Operation is not IArgumentOperation argument)
                {
                    settled.Add(sink);
                    continue;
                }

                values ??= new FunctionValues(function, graph);
                var request = AsyncRequest.Of(argument, values);
                if (request is null)
                {
                    settled.Add(sink);
                    continue;
                }

                var walk = new Walk(graph, request, end, function, cancellationToken);
                switch (walk.Run())
                {
                    case Verdict.Finished:
                        break;
                    case Verdict.Pending:
                        settled.Add(sink.WithPending($"{request.StillRunning} when {walk.Pending}"));
                        break;
                    default:
                        settled.Add(sink);
                        break;
                }
            }

            return settled.ToImmutable();
        }

        private static bool HasRetainingCall(ImmutableArray<PinSink> sinks)
        {
            foreach (var sink in sinks)
            {
                if (sink.Kind == PinSinkKind.RetainingCall)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>One request's walk from its call to the end of the pin.</summary>
        private sealed class Walk
        {
            private readonly ControlFlowGraph _graph;
            private readonly AsyncRequest _request;
            private readonly PinEnd _end;
            private readonly FunctionFlow _function;
            private readonly CancellationToken _cancellationToken;
            private readonly ControlFlowRegion? _fixedRegion;
            private readonly Dictionary<(int Region, int State), int> _finallyEnds = new();
            private List<StatementSyntax>? _jumps;

            internal Walk(ControlFlowGraph graph, AsyncRequest request, PinEnd end, FunctionFlow function, CancellationToken cancellationToken)
            {
                _graph = graph;
                _request = request;
                _end = end;
                _function = function;
                _cancellationToken = cancellationToken;
                if (end.Site.FixedLocal is { } fixedLocal)
                {
                    _fixedRegion = FixedScope.RegionOwning(graph.Root, fixedLocal);
                }
            }

            /// <summary>The first path found on which the request is still running at the pin's end: "the fixed statement ends via 'return'".</summary>
            internal string? Pending { get; private set; }

            internal Verdict Run()
            {
                if (_end.Site.FixedLocal is not null && _fixedRegion is null)
                {
                    return Verdict.Unknown;
                }

                foreach (var block in _graph.Blocks)
                {
                    for (var i = 0; i < block.Operations.Length; i++)
                    {
                        var operation = block.Operations[i];
                        if (!_request.Contains(operation))
                        {
                            continue;
                        }

                        if (_request.WaitsInPlace(operation) || _request.FinishesAroundCall(operation))
                        {
                            return Verdict.Finished;
                        }

                        new Search(this, bounds: null, via: null).Explore(block, i + 1, state: 0);
                        return Pending is null ? Verdict.Finished : Verdict.Pending;
                    }

                    if (block.BranchValue is { } branchValue && _request.Contains(branchValue))
                    {
                        if (_request.WaitsInPlace(branchValue))
                        {
                            return Verdict.Finished;
                        }

                        // if (ReadFile(...)): the branch on the call's own result is the first step.
                        new Search(this, bounds: null, via: null).FollowSuccessors(block, state: 0, skipStep: true);
                        return Pending is null ? Verdict.Finished : Verdict.Pending;
                    }
                }

                return Verdict.Unknown;
            }

            private void Report(string path) => Pending ??= path;

            /// <summary>
            /// The states (bit 0: event not waited, bit 1: event waited) in which paths through the finally region reach its
            /// end with the request still running; 0 when every path finishes it (or ends the pin, which is reported).
            /// </summary>
            private int Finally(ControlFlowRegion region, int state, string via)
            {
                var key = (region.FirstBlockOrdinal, state);
                if (_finallyEnds.TryGetValue(key, out var known))
                {
                    return known;
                }

                // A re-entrant question (a finally inside itself) passes the state through unchanged.
                _finallyEnds[key] = 1 << state;
                var search = new Search(this, region, via);
                search.Explore(_graph.Blocks[region.FirstBlockOrdinal], 0, state);
                _finallyEnds[key] = search.EndStates;
                return search.EndStates;
            }

            /// <summary>
            /// How a branch leaves: " via 'return'" (or 'break', 'continue', 'goto', 'yield break'), or "" for falling off the
            /// end. The graph keeps no syntax for jumps, so the jump statement is the one that syntactically follows the
            /// block's last operation (or its condition, on the side the branch is taken).
            /// </summary>
            private string Via(BasicBlock from, ControlFlowBranch branch)
            {
                if (branch.Semantics == ControlFlowBranchSemantics.Return)
                {
                    return " via 'return'";
                }

                var last = LastSyntax(from, 0);
                if (last is null)
                {
                    return string.Empty;
                }

                bool? truth = null;
                if (from.ConditionKind != ControlFlowConditionKind.None)
                {
                    truth = ReferenceEquals(branch, from.ConditionalSuccessor)
                        ? from.ConditionKind == ControlFlowConditionKind.WhenTrue
                        : from.ConditionKind == ControlFlowConditionKind.WhenFalse;
                }

                var toExit = branch.Destination?.Kind == BasicBlockKind.Exit;
                foreach (var jump in Jumps())
                {
                    var returns = jump is ReturnStatementSyntax or YieldStatementSyntax;
                    if (returns && !toExit)
                    {
                        continue;
                    }

                    if (JumpSyntax.Follows(jump, last, truth))
                    {
                        return $" via '{JumpSyntax.Keyword(jump)}'";
                    }
                }

                return string.Empty;
            }

            private static SyntaxNode? LastSyntax(BasicBlock block, int depth)
            {
                if (block.BranchValue is { } value)
                {
                    return value.Syntax;
                }

                if (block.Operations.Length > 0)
                {
                    return block.Operations[block.Operations.Length - 1].Syntax;
                }

                return depth < 4 && block.Predecessors.Length == 1 ? LastSyntax(block.Predecessors[0].Source, depth + 1) : null;
            }

            /// <summary>The jump statements of the function (of the fixed statement, for a fixed pin), not of nested functions.</summary>
            private List<StatementSyntax> Jumps()
            {
                if (_jumps is not null)
                {
                    return _jumps;
                }

                _jumps = new List<StatementSyntax>();
                var scope = _end.Site.FixedStatement ?? _function.Body.Syntax;
                foreach (var node in scope.DescendantNodes(node => node == scope || node is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
                {
                    if (node is ReturnStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax
                        || (node is YieldStatementSyntax yield && yield.IsKind(SyntaxKind.YieldBreakStatement)))
                    {
                        _jumps.Add((StatementSyntax)node);
                    }
                }

                return _jumps;
            }

            /// <summary>A depth-first walk from the call (or, for a finally, from the region's start), stopping where the request finishes.</summary>
            private sealed class Search
            {
                private readonly Walk _owner;
                private readonly ControlFlowRegion? _bounds;
                private readonly string? _via;
                private readonly HashSet<int> _visited = new();

                internal Search(Walk owner, ControlFlowRegion? bounds, string? via)
                {
                    _owner = owner;
                    _bounds = bounds;
                    _via = via;
                }

                /// <summary>For a finally region: the states in which paths reach its end still running (see <see cref="Walk.Finally"/>).</summary>
                internal int EndStates { get; private set; }

                private AsyncRequest Request => _owner._request;

                private ReleasePaths? Releases => _owner._end.Releases;

                internal void Explore(BasicBlock block, int start, int state)
                {
                    if (start == 0 && !_visited.Add((block.Ordinal * 2) + state))
                    {
                        return;
                    }

                    _owner._cancellationToken.ThrowIfCancellationRequested();
                    if (_bounds is not null && (block.Ordinal < _bounds.FirstBlockOrdinal || block.Ordinal > _bounds.LastBlockOrdinal))
                    {
                        return;
                    }

                    for (var i = start; i < block.Operations.Length; i++)
                    {
                        var operation = block.Operations[i];
                        if (Releases is { } releases && releases.Pins(operation))
                        {
                            // Pinned again with the previous pin never released: that pin outlives the method (PIN1001, PIN1003).
                            return;
                        }

                        switch (Request.Step(operation, state == 1))
                        {
                            case RequestFact.Complete:
                                return;
                            case RequestFact.EventSignaled:
                                state = 1;
                                break;
                        }

                        if (Releases is { } released && released.Releases(operation))
                        {
                            _owner.Report($"{_owner._end.Holder} is {_owner._end.Verb}{_via}");
                            return;
                        }
                    }

                    FollowSuccessors(block, state, skipStep: false);
                }

                internal void FollowSuccessors(BasicBlock block, int state, bool skipStep)
                {
                    var branchValue = block.BranchValue;
                    if (branchValue is not null)
                    {
                        if (!skipStep)
                        {
                            switch (Request.Step(branchValue, state == 1))
                            {
                                case RequestFact.Complete:
                                    return;
                                case RequestFact.EventSignaled:
                                    state = 1;
                                    break;
                            }
                        }

                        if (Releases is { } releases && releases.Releases(branchValue))
                        {
                            _owner.Report($"{_owner._end.Holder} is {_owner._end.Verb}{_via}");
                            return;
                        }

                        if (block.FallThroughSuccessor?.Semantics is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow)
                        {
                            // An explicit throw: an exceptional path, not followed.
                            return;
                        }
                    }

                    var conditional = block.ConditionKind != ControlFlowConditionKind.None && branchValue is not null;
                    var condition = conditional ? Request.Condition(branchValue!) : null;
                    var allocatedWhen = conditional && Releases is { } guards ? guards.AllocatedWhen(branchValue) : null;

                    if (block.ConditionalSuccessor is { } taken)
                    {
                        var when = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
                        if (allocatedWhen is null || allocatedWhen == when)
                        {
                            Follow(block, taken, Apply(condition, when, state));
                        }
                    }

                    if (block.FallThroughSuccessor is { } fallThrough)
                    {
                        if (!conditional)
                        {
                            Follow(block, fallThrough, state);
                        }
                        else
                        {
                            var when = block.ConditionKind == ControlFlowConditionKind.WhenFalse;
                            if (allocatedWhen is null || allocatedWhen == when)
                            {
                                Follow(block, fallThrough, Apply(condition, when, state));
                            }
                        }
                    }
                }

                /// <summary>The state on a branch taken when the condition is <paramref name="when"/>; -1 when the request is finished there.</summary>
                private static int Apply((RequestFact Fact, bool When)? condition, bool when, int state)
                {
                    if (condition is not { } known || known.When != when)
                    {
                        return state;
                    }

                    return known.Fact == RequestFact.Complete ? -1 : 1;
                }

                private void Follow(BasicBlock from, ControlFlowBranch branch, int state)
                {
                    if (state < 0)
                    {
                        return;
                    }

                    switch (branch.Semantics)
                    {
                        case ControlFlowBranchSemantics.Regular:
                        case ControlFlowBranchSemantics.Return:
                        case ControlFlowBranchSemantics.StructuredExceptionHandling:
                            break;
                        default:
                            // Throw, rethrow, program termination, error: not a normal path.
                            return;
                    }

                    var fixedRegion = _owner._fixedRegion;
                    foreach (var region in branch.FinallyRegions)
                    {
                        if (fixedRegion is not null && (region.FirstBlockOrdinal < fixedRegion.FirstBlockOrdinal || region.LastBlockOrdinal > fixedRegion.LastBlockOrdinal))
                        {
                            // A finally outside the fixed statement runs after the pin has ended.
                            break;
                        }

                        var ends = _owner.Finally(region, state, _via ?? _owner.Via(from, branch));
                        if (ends == 0)
                        {
                            return;
                        }

                        // Continue in the weaker state when paths leave the finally in both.
                        state = (ends & 1) != 0 ? 0 : 1;
                    }

                    if (branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling)
                    {
                        if (_bounds is not null)
                        {
                            EndStates |= 1 << state;
                        }

                        return;
                    }

                    if (fixedRegion is not null && Leaves(branch, fixedRegion))
                    {
                        _owner.Report("the fixed statement ends" + _owner.Via(from, branch));
                        return;
                    }

                    if (branch.Destination is not { } destination)
                    {
                        return;
                    }

                    if (fixedRegion is null && destination.Kind == BasicBlockKind.Exit)
                    {
                        // The handle was not released on this path: it stays pinned past the method (PIN1001 says so).
                        _owner.Report("the method returns" + _owner.Via(from, branch));
                        return;
                    }

                    Explore(destination, 0, state);
                }

                private static bool Leaves(ControlFlowBranch branch, ControlFlowRegion region)
                {
                    foreach (var left in branch.LeavingRegions)
                    {
                        if (ReferenceEquals(left, region))
                        {
                            return true;
                        }
                    }

                    return false;
                }
            }
        }
    }

    /// <summary>Which jump statement a branch of the graph came from, read from syntax (the graph keeps none for jumps).</summary>
    internal static class JumpSyntax
    {
        internal static string Keyword(StatementSyntax jump) => jump switch
        {
            ReturnStatementSyntax => "return",
            BreakStatementSyntax => "break",
            ContinueStatementSyntax => "continue",
            GotoStatementSyntax => "goto",
            _ => "yield break",
        };

        /// <summary>
        /// True when <paramref name="jump"/> is the statement executed right after <paramref name="last"/> — the previous
        /// statement, or the condition whose side <paramref name="truth"/> (when known) leads into the jump.
        /// </summary>
        internal static bool Follows(StatementSyntax jump, SyntaxNode last, bool? truth)
        {
            SyntaxNode node = jump;
            for (var depth = 0; depth < 32 && node.Parent is { } parent; depth++)
            {
                switch (parent)
                {
                    case BlockSyntax block:
                        {
                            var index = block.Statements.IndexOf((StatementSyntax)node);
                            if (index > 0)
                            {
                                return block.Statements[index - 1].Span.Contains(last.Span);
                            }

                            node = block;
                            continue;
                        }

                    case SwitchSectionSyntax section:
                        {
                            var index = section.Statements.IndexOf((StatementSyntax)node);
                            if (index > 0)
                            {
                                return section.Statements[index - 1].Span.Contains(last.Span);
                            }

                            return section.Parent is SwitchStatementSyntax switchStatement
                                && (switchStatement.Expression.Span.Contains(last.Span) || section.Span.Contains(last.Span));
                        }

                    case IfStatementSyntax ifStatement when ifStatement.Statement == node:
                        return ifStatement.Condition.Span.Contains(last.Span) && Outcome(ifStatement.Condition, last, truth) != false;

                    case ElseClauseSyntax { Parent: IfStatementSyntax elseOf }:
                        return elseOf.Condition.Span.Contains(last.Span) && Outcome(elseOf.Condition, last, truth) != true;

                    case WhileStatementSyntax whileStatement when whileStatement.Statement == node:
                        return whileStatement.Condition.Span.Contains(last.Span) && Outcome(whileStatement.Condition, last, truth) != false;

                    case ForStatementSyntax forStatement when forStatement.Statement == node:
                        return forStatement.Condition is { } forCondition && forCondition.Span.Contains(last.Span) && Outcome(forCondition, last, truth) != false;

                    case CommonForEachStatementSyntax forEach when forEach.Statement == node:
                        return forEach.Span.Contains(last.Span) && !forEach.Statement.Span.Contains(last.Span);

                    case DoStatementSyntax doStatement when doStatement.Statement == node:
                        if (doStatement.Condition.Span.Contains(last.Span))
                        {
                            return Outcome(doStatement.Condition, last, truth) != false;
                        }

                        node = doStatement;
                        continue;

                    case LabeledStatementSyntax:
                    case TryStatementSyntax:
                        node = parent;
                        continue;

                    case FixedStatementSyntax or UsingStatementSyntax or LockStatementSyntax or CheckedStatementSyntax or UnsafeStatementSyntax:
                        if (parent.Span.Contains(last.Span) && !node.Span.Contains(last.Span))
                        {
                            return true;
                        }

                        node = parent;
                        continue;

                    default:
                        return false;
                }
            }

            return false;
        }

        /// <summary>
        /// The value of <paramref name="condition"/> when its part <paramref name="part"/> has the value <paramref name="truth"/>
        /// and decides it (through <c>!</c>, <c>&amp;&amp;</c>, <c>||</c>, parentheses); null when that does not decide it.
        /// </summary>
        private static bool? Outcome(ExpressionSyntax condition, SyntaxNode part, bool? truth)
        {
            if (truth is not { } value)
            {
                return null;
            }

            var node = part;
            while (node != condition)
            {
                var parent = node.Parent;
                switch (parent)
                {
                    case ParenthesizedExpressionSyntax:
                        break;
                    case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.LogicalNotExpression):
                        value = !value;
                        break;
                    case BinaryExpressionSyntax conjunction when conjunction.IsKind(SyntaxKind.LogicalAndExpression):
                        if (value && conjunction.Left == node)
                        {
                            return null;
                        }

                        break;
                    case BinaryExpressionSyntax disjunction when disjunction.IsKind(SyntaxKind.LogicalOrExpression):
                        if (!value && disjunction.Left == node)
                        {
                            return null;
                        }

                        break;
                    default:
                        return null;
                }

                node = parent;
            }

            return value;
        }
    }
}
