using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// The pointer family for <c>fixed</c>: PIN2001 (a pointer escapes its fixed statement) and PIN2002 (it is
    /// passed to a call that keeps it). Reported on the escaping operation. See docs/rules/PIN2001.md, PIN2002.md.
    /// </summary>
    /// <remarks>
    /// <c>fixed</c> has no public IOperation: its declarator is an <see cref="IVariableDeclaratorOperation"/> whose
    /// local is <see cref="ILocalSymbol.IsFixed"/>, and the statement's extent comes from its syntax and the
    /// local's lifetime region in the control-flow graph.
    /// </remarks>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class FixedPointerAnalyzer : PinAnalyzerBase
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.PIN2001PointerEscapesFixed,
            Descriptors.PIN2002PointerPassedToRetainingCall);

        private protected override void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis)
        {
            var options = new PinFlowOptions.Provider(context.Options.AnalyzerConfigOptionsProvider);
            var pinnedObjectHeap = new PinnedObjectHeap(apis);
            var handleFields = new System.Collections.Concurrent.ConcurrentDictionary<IFieldSymbol, bool>(SymbolEqualityComparer.Default);
            RegisterPinSites(
                context,
                apis,
                PinSiteFinders.Fixed,
                (blockContext, method, sites) =>
                {
                    foreach (var site in sites)
                    {
                        if (pinnedObjectHeap.Holds(site.Target, method))
                        {
                            // Memory on the Pinned Object Heap never moves: its address may live as long as the array.
                            continue;
                        }

                        if (PinnedByHandleField(site.Target, handleFields))
                        {
                            // The array is also held by a pinned-handle field of this type (DESIGN.md, "Memory already
                            // pinned"): it stays put after the statement ends, as long as that handle does (CSCore's FlacFrame).
                            continue;
                        }

                        var fate = PinFlow.Follow(site, method, apis, options.For(site.Syntax.SyntaxTree));
                        foreach (var sink in fate.Sinks)
                        {
                            blockContext.ReportDiagnostic(sink.Kind == PinSinkKind.RetainingCall
                                ? RetainingCalls.Diagnose(sink)
                                : Diagnostic.Create(Descriptors.PIN2001PointerEscapesFixed, sink.Operation.Syntax.GetLocation(), sink.Description));
                        }
                    }
                });
        }

        /// <summary>The fixed target is an array field of this instance (<c>_buffer</c>, <c>&amp;_buffer[i]</c>) that a pinned-handle field of the type targets.</summary>
        private static bool PinnedByHandleField(IOperation? target, System.Collections.Concurrent.ConcurrentDictionary<IFieldSymbol, bool> handleFields)
        {
            target = target.WalkDownFixedInitializer();

            if (target is IAddressOfOperation { Reference: IArrayElementReferenceOperation element })
            {
                target = element.ArrayReference.WalkDownConversions();
            }

            return target is IFieldReferenceOperation { Instance: IInstanceReferenceOperation, Field: { IsStatic: false, Type: IArrayTypeSymbol } field }
                && handleFields.GetOrAdd(field, AlreadyPinned.ByHandleField);
        }
    }
}
