using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// The memory family: PIN3001 (a <c>MemoryHandle</c> outlives the method that pinned it), PIN3002 (it is not
    /// disposed on every path), and, for memory pins, PIN1003 (pins accumulate in a loop) and PIN2002 (the pinned
    /// pointer reaches a call that keeps it while the handle is disposed in the method). See docs/rules/PIN3001.md,
    /// PIN3002.md.
    /// </summary>
    /// <remarks>
    /// The sites are bound by symbol: <c>Memory&lt;T&gt;.Pin()</c>, <c>ReadOnlyMemory&lt;T&gt;.Pin()</c> and
    /// <c>IPinnable.Pin(int)</c> with its implementations (<c>MemoryManager&lt;T&gt;.Pin</c> and overrides). Any other
    /// method called <c>Pin</c> is not a site.
    /// </remarks>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class MemoryHandleAnalyzer : PinAnalyzerBase
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.PIN3001MemoryHandleOutlivesMethod,
            Descriptors.PIN3002MemoryHandleNotDisposed,
            Descriptors.PIN1003PinsAccumulateInLoop,
            Descriptors.PIN2002PointerPassedToRetainingCall);

        private protected override void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis)
        {
            if (apis.MemoryHandle is null || apis.MemoryPin.IsEmpty)
            {
                return;
            }

            var pinnedObjectHeap = new PinnedObjectHeap(apis);
            var options = new PinFlowOptions.Provider(context.Options.AnalyzerConfigOptionsProvider);
            var summaries = PinSummaries.For(apis);
            RegisterPinSites(
                context,
                apis,
                ImmutableArray.Create(PinSiteFinders.MemoryHandles, PinSiteFinders.MemoryOwners),
                (blockContext, method, sites) =>
                {
                    foreach (var site in sites)
                    {
                        if (pinnedObjectHeap.Holds(site.Target, method) || (site.Kind == PinKind.Owner && pinnedObjectHeap.OwnerPinsPinnedMemory(site.Operation, method)))
                        {
                            // Memory on the Pinned Object Heap never moves: its handle pins nothing that could.
                            continue;
                        }

                        var fate = PinFlow.Follow(site, method, apis, options.For(site.Syntax.SyntaxTree));
                        var verdicts = site.Kind == PinKind.Owner ? PinnedHandleAnalyzer.OwnerVerdicts(fate, summaries, MemoryFamily) : Verdicts(fate, apis, summaries);
                        foreach (var diagnostic in verdicts)
                        {
                            blockContext.ReportDiagnostic(diagnostic);
                        }
                    }
                });
        }

        /// <summary>
        /// At most one of PIN1003/PIN3001/PIN3002 per site: a pin kept past its loop iteration is PIN1003; else an
        /// escape is PIN3001; else a leak is PIN3002. A handle disposed on every path is only judged for PIN2002.
        /// </summary>
        private static readonly PinnedHandleAnalyzer.OwnerFamily MemoryFamily = new(Descriptors.PIN3001MemoryHandleOutlivesMethod, Descriptors.PIN3002MemoryHandleNotDisposed);

        private static IEnumerable<Diagnostic> Verdicts(PinFate fate, PinApis apis, PinSummaries summaries)
        {
            var by = PinnedHandleAnalyzer.PinnedBy(fate.Site);
            if (fate.Release == PinRelease.AllPaths)
            {
                foreach (var sink in fate.Sinks)
                {
                    if (sink.Kind == PinSinkKind.RetainingCall && sink.IsAddress)
                    {
                        yield return RetainingCalls.Diagnose(sink);
                    }
                }

                yield break;
            }

            if (PinnedHandleAnalyzer.HandedToCaller(fate, summaries))
            {
                // Handed to the caller: an aggregate it disposes, an out parameter, or the return of a factory whose
                // callers are judged where they pin.
                yield break;
            }

            if (Flow.OwnershipTransfers.FixtureScoped(fate))
            {
                // A fixture's setup pin that its cleanup releases lives for the run, not the application.
                yield break;
            }

            var location = fate.Site.Syntax.GetLocation();
            if (PinnedHandleAnalyzer.KeptPastIteration(fate) is { } kept)
            {
                yield return Diagnostic.Create(Descriptors.PIN1003PinsAccumulateInLoop, location, kept + by);
                yield break;
            }

            if (FirstEscape(fate, apis) is { } escape)
            {
                var what = escape.IsAddress ? "its address is " : "it is ";
                yield return Diagnostic.Create(Descriptors.PIN3001MemoryHandleOutlivesMethod, location, what + escape.Description + by);
                yield break;
            }

            if (fate.Escapes && !PinnedHandleAnalyzer.HandedOff(fate))
            {
                // Handed to the caller by a Pin implementation: the caller's pin is judged where it calls.
                yield break;
            }

            yield return Diagnostic.Create(Descriptors.PIN3002MemoryHandleNotDisposed, location, fate.DescribeLeak("disposed") + by);
        }

        /// <summary>
        /// The first sink that makes the handle outlive its method. The handle itself returned by an implementation of
        /// <c>IPinnable.Pin</c> (a <c>MemoryManager&lt;T&gt;</c> that pins its inner memory) is the pin handed to the
        /// caller, as the interface demands, not a leak.
        /// </summary>
        private static PinSink? FirstEscape(PinFate fate, PinApis apis)
        {
            var handedOff = PinnedHandleAnalyzer.HandedOff(fate);
            foreach (var sink in fate.Sinks)
            {
                // An address that goes along with a hand-over belongs to the new owner.
                if (sink.Kind == PinSinkKind.Handoff || (handedOff && sink.IsAddress) || (sink.Kind == PinSinkKind.Return && !sink.IsAddress && ReturnedByPinImplementation(sink.Operation, apis)))
                {
                    continue;
                }

                return sink;
            }

            return null;
        }

        private static bool ReturnedByPinImplementation(IOperation returned, PinApis apis)
        {
            for (var current = returned.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return false;
                }
            }

            var model = returned.SemanticModel;
            var member = model?.GetEnclosingSymbol(returned.Syntax.SpanStart);
            if (member is not IMethodSymbol method)
            {
                return false;
            }

            foreach (var implemented in method.ExplicitInterfaceImplementations)
            {
                if (PinApis.IsAny(implemented, apis.MemoryPin))
                {
                    return true;
                }
            }

            return apis.IsMemoryPin(method);
        }
    }
}
