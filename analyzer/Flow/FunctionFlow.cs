using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// One function body that makes pins — a method, accessor, constructor, lambda or local function —
    /// with what the pin-flow engine needs of it, each built at most once: the control-flow graph and an
    /// index of the references to locals, parameters and fields of <c>this</c>.
    /// </summary>
    internal sealed class FunctionFlow
    {
        private readonly Func<ControlFlowGraph?> _buildGraph;
        private ControlFlowGraph? _graph;
        private bool _graphBuilt;
        private Dictionary<ISymbol, List<IOperation>>? _references;

        internal FunctionFlow(IOperation body, IOperation? function, ISymbol? symbol, Func<ControlFlowGraph?> buildGraph)
        {
            Body = body;
            Function = function;
            Symbol = symbol;
            _buildGraph = buildGraph;
        }

        /// <summary>The operation tree of the function (for the method itself, the operation block root).</summary>
        internal IOperation Body { get; }

        /// <summary>The lambda or local function operation, or null for the method itself.</summary>
        internal IOperation? Function { get; }

        /// <summary>The function's symbol: locals whose containing symbol differs are captured from outside.</summary>
        internal ISymbol? Symbol { get; }

        /// <summary>The function's control-flow graph, built on first use; null when Roslyn cannot build one.</summary>
        internal ControlFlowGraph? Graph
        {
            get
            {
                if (!_graphBuilt)
                {
                    _graph = _buildGraph();
                    _graphBuilt = true;
                }

                return _graph;
            }
        }

        /// <summary>Every reference in the function (nested functions included) to <paramref name="symbol"/>.</summary>
        internal IReadOnlyList<IOperation> ReferencesTo(ISymbol symbol)
        {
            _references ??= IndexReferences(Body);
            return _references.TryGetValue(symbol, out var list) ? list : (IReadOnlyList<IOperation>)Array.Empty<IOperation>();
        }

        /// <summary>
        /// The innermost lambda or local function, below this function, that holds <paramref name="operation"/>;
        /// null when the operation belongs to this function's own body.
        /// </summary>
        internal IOperation? NestedFunctionOf(IOperation operation)
        {
            for (var current = operation.Parent; current is not null && !ReferenceEquals(current, Function) && !ReferenceEquals(current, Body); current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return current;
                }
            }

            return null;
        }

        private static Dictionary<ISymbol, List<IOperation>> IndexReferences(IOperation body)
        {
            var index = new Dictionary<ISymbol, List<IOperation>>(SymbolEqualityComparer.Default);
            foreach (var operation in body.Descendants())
            {
                ISymbol? symbol = operation switch
                {
                    ILocalReferenceOperation local => local.Local,
                    IParameterReferenceOperation parameter => parameter.Parameter,
                    IFieldReferenceOperation field when field.Instance is null or IInstanceReferenceOperation => field.Field,
                    _ => null,
                };

                if (symbol is null)
                {
                    continue;
                }

                if (!index.TryGetValue(symbol, out var list))
                {
                    list = new List<IOperation>();
                    index.Add(symbol, list);
                }

                list.Add(operation);
            }

            return index;
        }
    }

    /// <summary>
    /// The functions of one operation block (a method and its lambdas and local functions), each
    /// <see cref="FunctionFlow"/> made once and shared by every pin site and every rule in the block.
    /// </summary>
    internal sealed class MethodFlow
    {
        private readonly Func<IOperation, ControlFlowGraph?> _graphOfBlock;
        private readonly IReadOnlyCollection<IOperation> _operationBlocks;
        private readonly CancellationToken _cancellationToken;
        private readonly Dictionary<IOperation, FunctionFlow> _functions = new();

        /// <param name="operationBlocks">The operation blocks of the analysis context (method body, initializers).</param>
        /// <param name="graphOfBlock">Builds (or fetches) the graph of one of them, e.g. <c>OperationBlockAnalysisContext.GetControlFlowGraph</c>.</param>
        internal MethodFlow(IReadOnlyCollection<IOperation> operationBlocks, Func<IOperation, ControlFlowGraph?> graphOfBlock, CancellationToken cancellationToken)
        {
            _operationBlocks = operationBlocks;
            _graphOfBlock = graphOfBlock;
            _cancellationToken = cancellationToken;
        }

        internal CancellationToken CancellationToken => _cancellationToken;

        /// <summary>The function whose body executes <paramref name="operation"/>.</summary>
        internal FunctionFlow FunctionOf(IOperation operation)
        {
            for (var current = operation.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return Get(current);
                }
            }

            return Get(OperationBlockOf(operation));
        }

        /// <summary>The operation block (one the analysis context knows) that holds <paramref name="operation"/>.</summary>
        private IOperation OperationBlockOf(IOperation operation)
        {
            for (var current = operation; current is not null; current = current.Parent)
            {
                foreach (var block in _operationBlocks)
                {
                    if (ReferenceEquals(block, current))
                    {
                        return current;
                    }
                }
            }

            return operation.Root();
        }

        private FunctionFlow Get(IOperation key)
        {
            if (_functions.TryGetValue(key, out var existing))
            {
                return existing;
            }

            FunctionFlow created;
            switch (key)
            {
                case IAnonymousFunctionOperation lambda:
                    {
                        var outer = FunctionOf(lambda);
                        created = new FunctionFlow(lambda.Body, lambda, lambda.Symbol, () => LambdaGraph(outer.Graph, lambda.Symbol));
                        break;
                    }

                case ILocalFunctionOperation localFunction:
                    {
                        var outer = FunctionOf(localFunction);
                        var body = (IOperation?)localFunction.Body ?? localFunction;
                        created = new FunctionFlow(body, localFunction, localFunction.Symbol, () => LocalFunctionGraph(outer.Graph, localFunction.Symbol));
                        break;
                    }

                default:
                    created = new FunctionFlow(key, null, null, () => GraphOfBlock(key));
                    break;
            }

            _functions[key] = created;
            return created;
        }

        private ControlFlowGraph? GraphOfBlock(IOperation block)
        {
            foreach (var known in _operationBlocks)
            {
                if (ReferenceEquals(known, block))
                {
                    return _graphOfBlock(block);
                }
            }

            // Not a block of this context (should not happen): no graph rather than an exception.
            return null;
        }

        private ControlFlowGraph? LocalFunctionGraph(ControlFlowGraph? outer, IMethodSymbol symbol)
        {
            if (outer is null)
            {
                return null;
            }

            foreach (var candidate in outer.LocalFunctions)
            {
                if (SymbolEqualityComparer.Default.Equals(candidate, symbol))
                {
                    return outer.GetLocalFunctionControlFlowGraph(candidate, _cancellationToken);
                }
            }

            return null;
        }

        private ControlFlowGraph? LambdaGraph(ControlFlowGraph? outer, IMethodSymbol symbol)
        {
            if (outer is null)
            {
                return null;
            }

            foreach (var block in outer.Blocks)
            {
                foreach (var operation in block.Operations)
                {
                    var found = FindLambda(operation, symbol);
                    if (found is not null)
                    {
                        return outer.GetAnonymousFunctionControlFlowGraph(found, _cancellationToken);
                    }
                }

                if (block.BranchValue is { } branchValue && FindLambda(branchValue, symbol) is { } inBranch)
                {
                    return outer.GetAnonymousFunctionControlFlowGraph(inBranch, _cancellationToken);
                }
            }

            return null;
        }

        private static IFlowAnonymousFunctionOperation? FindLambda(IOperation operation, IMethodSymbol symbol)
        {
            if (operation is IFlowAnonymousFunctionOperation self && SymbolEqualityComparer.Default.Equals(self.Symbol, symbol))
            {
                return self;
            }

            foreach (var descendant in operation.Descendants())
            {
                if (descendant is IFlowAnonymousFunctionOperation flow && SymbolEqualityComparer.Default.Equals(flow.Symbol, symbol))
                {
                    return flow;
                }
            }

            return null;
        }
    }
}
