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
            var available = new List<PinSiteFinder>(finders.Length);
            var kinds = new HashSet<OperationKind>();
            foreach (var finder in finders)
            {
                if (finder.IsAvailable(apis))
                {
                    available.Add(finder);
                    kinds.UnionWith(finder.Kinds);
                }
            }

            if (available.Count == 0)
            {
                return;
            }

            // Per operation kind, the finders that look at it: one array lookup per operation, no search.
            var byKind = new Dictionary<OperationKind, PinSiteFinder[]>();
            foreach (var kind in kinds)
            {
                byKind[kind] = available.FindAll(f => f.Kinds.Contains(kind)).ToArray();
            }

            RegisterPinSites(
                context,
                operation =>
                {
                    if (byKind.TryGetValue(operation.Kind, out var candidates))
                    {
                        foreach (var finder in candidates)
                        {
                            if (finder.Find(operation, apis) is { } site)
                            {
                                return site;
                            }
                        }
                    }

                    return null;
                },
                analyze,
                new List<OperationKind>(kinds).ToArray());
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
