using Microsoft.CodeAnalysis;

namespace PinAnalyzers
{
    /// <summary>
    /// Every diagnostic the package reports, in one place. The factory sets the category, the default
    /// severity and the help link (<c>docs/rules/PINxxxx.md</c>); the rule's reasoning lives in that page.
    /// </summary>
    internal static class Descriptors
    {
        internal const string HelpLinkRoot = "https://github.com/pinanalyzers/pinanalyzers/blob/main/docs/rules/";

        internal static class Categories
        {
            internal const string PinLifetime = "PinLifetime";
            internal const string PointerSafety = "PointerSafety";
            internal const string MappedViews = "MappedViews";
            internal const string Leases = "Leases";
        }

        internal static readonly DiagnosticDescriptor PIN1001PinnedHandleOutlivesMethod = Create(
            "PIN1001",
            "Pinned handle outlives the method that pinned it",
            "The pinned handle outlives the method: {0}",
            Categories.PinLifetime,
            "A pinned GCHandle that is kept past the method that made it pins its object for an unbounded time, fragmenting the GC heap. Allocate the buffer on the Pinned Object Heap, or hold it through a revocable PinLease.");

        internal static readonly DiagnosticDescriptor PIN1002PinnedHandleNotFreed = Create(
            "PIN1002",
            "Pinned handle is not freed on every path",
            "The pinned handle {0}",
            Categories.PinLifetime,
            "A pinned GCHandle that is not freed on every path, exceptional paths included, leaks the handle and pins its object for the rest of the process. Free it in a finally block, or dispose a PinnedGCHandle<T> with using.");

        private static DiagnosticDescriptor Create(string id, string title, string messageFormat, string category, string description)
            => new(
                id,
                title,
                messageFormat,
                category,
                DiagnosticSeverity.Warning,
                isEnabledByDefault: true,
                description: description,
                helpLinkUri: HelpLinkRoot + id + ".md");
    }
}
