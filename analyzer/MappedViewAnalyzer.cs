using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// The mapped-view family: PIN4001 (a pointer into a DAX mapping reaches a call that pins it long-term), PIN4002 (a
    /// local <c>AcquirePointer</c> is not released on every path) and PIN4003 (<c>AcquirePointer</c> on a view at a
    /// non-zero offset without <c>PointerOffset</c>). See docs/rules/PIN4001.md, PIN4002.md, PIN4003.md.
    /// </summary>
    /// <remarks>
    /// Sites are the view pins (<c>AcquirePointer</c>, <c>DangerousGetHandle</c>), libpmem mappings and reads of pointer
    /// fields that hold a view's address; the engine follows them, and <see cref="MappedViewSites"/> says where the view
    /// comes from. Nothing is registered in a compilation that can make no mapped view.
    /// </remarks>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class MappedViewAnalyzer : PinAnalyzerBase
    {
        /// <summary><c>IBV_ACCESS_ON_DEMAND</c>: an on-demand-paging registration the kernel can invalidate.</summary>
        internal const int IbvAccessOnDemand = 64;

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.PIN4001MappedViewHandedToNativeCode,
            Descriptors.PIN4002ViewPointerNotReleased,
            Descriptors.PIN4003ViewPointerWithoutPointerOffset);

        private protected override void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis)
        {
            if (MappedViewSites.Create(apis) is not { } views)
            {
                return;
            }

            var options = new PinFlowOptions.Provider(context.Options.AnalyzerConfigOptionsProvider);
            var daxPaths = new DaxPaths.Provider(context.Options.AnalyzerConfigOptionsProvider);
            RegisterPinSites(
                context,
                views.Find,
                (blockContext, method, sites) =>
                {
                    var reported = new HashSet<SyntaxNode>();
                    foreach (var site in sites)
                    {
                        var tree = site.Syntax.SyntaxTree;
                        var fate = PinFlow.Follow(site, method, apis, options.For(tree));
                        string? mapping = null;
                        var judged = false;
                        foreach (var sink in fate.Sinks)
                        {
                            if (sink.Kind != PinSinkKind.RetainingCall || !sink.IsAddress || sink.Operation is not IArgumentOperation argument
                                || argument.Parent is not IInvocationOperation call || !PinsLongTerm(call))
                            {
                                continue;
                            }

                            if (!judged)
                            {
                                mapping = views.DaxMapping(site, daxPaths.For(tree), blockContext.CancellationToken);
                                judged = true;
                            }

                            if (mapping is not null && reported.Add(sink.Operation.Syntax))
                            {
                                blockContext.ReportDiagnostic(Diagnostic.Create(
                                    Descriptors.PIN4001MappedViewHandedToNativeCode,
                                    sink.Operation.Syntax.GetLocation(),
                                    mapping,
                                    call.TargetMethod.Name));
                            }
                        }

                        if (site.Kind == PinKind.ViewPointer)
                        {
                            if (NotReleased(fate) is { } leak)
                            {
                                blockContext.ReportDiagnostic(Diagnostic.Create(Descriptors.PIN4002ViewPointerNotReleased, site.Syntax.GetLocation(), leak));
                            }

                            if (views.NonZeroOffset(site.Target, blockContext.CancellationToken) is { } offset && !AddsPointerOffset(fate, method, views))
                            {
                                var view = MappedViewSites.ViewOf(site.Target)?.Syntax.ToString() ?? "the view";
                                blockContext.ReportDiagnostic(Diagnostic.Create(Descriptors.PIN4003ViewPointerWithoutPointerOffset, site.Syntax.GetLocation(), offset, view));
                            }
                        }
                    }
                },
                OperationKind.Invocation,
                OperationKind.FieldReference);
        }

        /// <summary>
        /// PIN4002's verdict: a local acquisition — the view and its pointer held in locals, the pointer kept nowhere else —
        /// that is not released on every path. Returns the leak phrase, or null.
        /// </summary>
        private static string? NotReleased(PinFate fate)
        {
            if (fate.Release == PinRelease.AllPaths || fate.HandleHolders.IsDefaultOrEmpty || MappedViewSites.HeldInField(fate.Site.Target))
            {
                return null;
            }

            foreach (var sink in fate.Sinks)
            {
                if (sink.Kind != PinSinkKind.RetainingCall)
                {
                    // Kept in a field, returned, captured: the pointer's lifetime is someone else's.
                    return null;
                }
            }

            return fate.DescribeLeak("released");
        }

        /// <summary>
        /// PIN4003's exemption: the method reads the view's <c>PointerOffset</c>; for a pointer kept past the method, its
        /// type does anywhere.
        /// </summary>
        private static bool AddsPointerOffset(PinFate fate, MethodFlow method, MappedViewSites views)
        {
            foreach (var operation in method.FunctionOf(fate.Site.Operation).Body.Descendants())
            {
                if (operation is IPropertyReferenceOperation { Property.Name: "PointerOffset" } property
                    && (SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, views.ViewAccessor)
                        || SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, views.ViewStream)))
                {
                    return true;
                }
            }

            foreach (var sink in fate.Sinks)
            {
                if (sink.Kind != PinSinkKind.RetainingCall)
                {
                    var type = fate.Site.Operation.SemanticModel?.GetEnclosingSymbol(fate.Site.Syntax.SpanStart)?.ContainingType;
                    if (type is null)
                    {
                        return true;
                    }

                    foreach (var reference in type.DeclaringSyntaxReferences)
                    {
                        foreach (var token in reference.GetSyntax().DescendantTokens())
                        {
                            if (token.ValueText == "PointerOffset")
                            {
                                return true;
                            }
                        }
                    }

                    return false;
                }
            }

            return false;
        }

        /// <summary>
        /// A retaining call that pins the pages long-term. Synchronous calls never do (whatever the configuration says);
        /// an RDMA registration with on-demand paging (<c>IBV_ACCESS_ON_DEMAND</c> in a constant access argument) can be
        /// invalidated by the kernel and does not either.
        /// </summary>
        internal static bool PinsLongTerm(IInvocationOperation call)
        {
            var name = call.TargetMethod.Name;
            if (IsSynchronous(name))
            {
                return false;
            }

            return !(name.StartsWith("ibv_reg_mr", StringComparison.Ordinal) && HasOnDemandAccess(call));
        }

        private static bool IsSynchronous(string name)
            => name is "read" or "write" or "pread" or "pwrite" or "pread64" or "pwrite64" or "readv" or "writev" or "memcpy" or "memmove" or "memset" or "msync"
                || name.StartsWith("pmem_flush", StringComparison.Ordinal)
                || name.StartsWith("pmem_persist", StringComparison.Ordinal)
                || name.StartsWith("pmem_drain", StringComparison.Ordinal)
                || name.StartsWith("pmem_msync", StringComparison.Ordinal)
                || name.StartsWith("pmem_memcpy", StringComparison.Ordinal)
                || name.StartsWith("pmem_memmove", StringComparison.Ordinal)
                || name.StartsWith("pmem_memset", StringComparison.Ordinal)
                || name.StartsWith("pmem2_", StringComparison.Ordinal);

        /// <summary>The access argument (named <c>access</c>, else the last integer one) is a constant with bit 6 set.</summary>
        private static bool HasOnDemandAccess(IInvocationOperation call)
        {
            IArgumentOperation? access = null;
            foreach (var argument in call.Arguments)
            {
                var parameter = argument.Parameter;
                if (parameter is null)
                {
                    continue;
                }

                if (parameter.Name.IndexOf("access", StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    access = argument;
                    break;
                }

                if (parameter.Type.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32 || parameter.Type.TypeKind == TypeKind.Enum)
                {
                    access = argument;
                }
            }

            if (access is null)
            {
                return false;
            }

            var constant = access.Value.ConstantValue;
            if (!constant.HasValue && access.Value.WalkDownConversions() is { } stripped)
            {
                constant = stripped.ConstantValue;
            }

            if (constant is not { HasValue: true, Value: { } value })
            {
                return false;
            }

            try
            {
                return (Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) & IbvAccessOnDemand) != 0;
            }
            catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
            {
                return false;
            }
        }
    }
}
