using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// The shape every PinAnalyzers analyzer shares: concurrent, no generated code, the pin APIs resolved
    /// once per compilation, and nothing registered when the compilation has none. Pin sites are collected
    /// per operation block by a cheap symbol filter; only a block that holds a site gets a
    /// <see cref="MethodFlow"/> (and so a control-flow graph), shared by all of its sites.
    /// </summary>
    public abstract class PinAnalyzerBase : DiagnosticAnalyzer
    {
        public sealed override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var apis = PinApis.Create(start.Compilation);
                if (apis is not null)
                {
                    OnCompilationStart(start, apis);
                }
            });
        }

        private protected abstract void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis);

        /// <summary>
        /// Registers the per-block collection of the sites that <paramref name="finders"/> recognise (those available in
        /// this compilation; nothing when none is); <paramref name="analyze"/> runs once per block that has sites.
        /// </summary>
        private protected static void RegisterPinSites(
            CompilationStartAnalysisContext context,
            PinApis apis,
            System.Collections.Immutable.ImmutableArray<PinSiteFinder> finders,
            System.Action<OperationBlockAnalysisContext, MethodFlow, IReadOnlyList<PinSite>> analyze)
        {
            // Per operation kind, the bound filters that look at it: one dictionary lookup per operation, no search.
            var filters = new Dictionary<OperationKind, List<System.Func<IOperation, PinSite?>>>();
            foreach (var finder in finders)
            {
                if (finder.Bind(apis) is not { } filter)
                {
                    continue;
                }

                foreach (var kind in finder.Kinds)
                {
                    if (!filters.TryGetValue(kind, out var list))
                    {
                        filters[kind] = list = new List<System.Func<IOperation, PinSite?>>();
                    }

                    list.Add(filter);
                }
            }

            if (filters.Count == 0)
            {
                return;
            }

            var byKind = new Dictionary<OperationKind, System.Func<IOperation, PinSite?>[]>();
            foreach (var pair in filters)
            {
                byKind[pair.Key] = pair.Value.ToArray();
            }

            RegisterPinSites(
                context,
                operation =>
                {
                    if (byKind.TryGetValue(operation.Kind, out var candidates))
                    {
                        foreach (var filter in candidates)
                        {
                            if (filter(operation) is { } site)
                            {
                                return site;
                            }
                        }
                    }

                    return null;
                },
                analyze,
                new List<OperationKind>(byKind.Keys).ToArray());
        }

        /// <summary>One finder: see <see cref="RegisterPinSites(CompilationStartAnalysisContext, PinApis, System.Collections.Immutable.ImmutableArray{PinSiteFinder}, System.Action{OperationBlockAnalysisContext, MethodFlow, IReadOnlyList{PinSite}})"/>.</summary>
        private protected static void RegisterPinSites(
            CompilationStartAnalysisContext context,
            PinApis apis,
            PinSiteFinder finder,
            System.Action<OperationBlockAnalysisContext, MethodFlow, IReadOnlyList<PinSite>> analyze)
            => RegisterPinSites(context, apis, System.Collections.Immutable.ImmutableArray.Create(finder), analyze);

        /// <summary>
        /// Registers the per-block collection of pin sites: <paramref name="findSite"/> runs on every operation of
        /// <paramref name="kinds"/> and must be cheap; <paramref name="analyze"/> runs once per block that has sites.
        /// </summary>
        private protected static void RegisterPinSites(
            CompilationStartAnalysisContext context,
            System.Func<IOperation, PinSite?> findSite,
            System.Action<OperationBlockAnalysisContext, MethodFlow, IReadOnlyList<PinSite>> analyze,
            params OperationKind[] kinds)
        {
            context.RegisterOperationBlockStartAction(blockStart =>
            {
                // Allocated on the first site only: most blocks have none.
                List<PinSite>? sites = null;
                var gate = new object();
                blockStart.RegisterOperationAction(
                    operationContext =>
                    {
                        if (findSite(operationContext.Operation) is { } site)
                        {
                            lock (gate)
                            {
                                (sites ??= new List<PinSite>()).Add(site);
                            }
                        }
                    },
                    kinds);

                blockStart.RegisterOperationBlockEndAction(blockEnd =>
                {
                    PinSite[] found;
                    lock (gate)
                    {
                        if (sites is null)
                        {
                            return;
                        }

                        found = sites.ToArray();
                    }

                    var method = new MethodFlow(blockEnd.OperationBlocks, root => blockEnd.GetControlFlowGraph(root), blockEnd.CancellationToken);
                    analyze(blockEnd, method, found);
                });
            });
        }
    }
}
