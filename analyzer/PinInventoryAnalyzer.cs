using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// PIN9001, the pin inventory: one Hidden diagnostic on every pin site that a finder of
    /// <see cref="PinSiteFinders.All"/> recognises, with its kind and lifetime class read from the engine's fate of the
    /// pin. Off by default; see docs/rules/PIN9001.md.
    /// </summary>
    /// <remarks>
    /// PIN9001 is this analyzer's only descriptor on purpose: while the rule is off (the default, or
    /// <c>dotnet_diagnostic.PIN9001.severity = none</c>) the compiler finds every supported descriptor suppressed and
    /// never initializes the analyzer, so the inventory costs nothing then.
    /// </remarks>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class PinInventoryAnalyzer : PinAnalyzerBase
    {
        /// <summary>The diagnostic property naming the kind of pin site (<see cref="InventoryKind.Name"/>).</summary>
        internal const string KindProperty = "kind";

        /// <summary>The diagnostic property naming the lifetime class (<see cref="LifetimeClasses"/>).</summary>
        internal const string ClassProperty = "class";

        /// <summary>The diagnostic property saying why: where a long pin goes, how a leaked one leaks.</summary>
        internal const string DetailProperty = "detail";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PIN9001PinSite);

        private protected override void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis)
        {
            var pinnedObjectHeap = new PinnedObjectHeap(apis);
            var options = new PinFlowOptions.Provider(context.Options.AnalyzerConfigOptionsProvider);
            RegisterPinSites(
                context,
                apis,
                PinSiteFinders.All,
                (blockContext, method, sites) =>
                {
                    foreach (var site in sites)
                    {
                        if (InventoryEntry.For(site, method, apis, pinnedObjectHeap, options) is not { } entry)
                        {
                            continue;
                        }

                        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
                        properties.Add(KindProperty, entry.Kind);
                        properties.Add(ClassProperty, entry.Class);
                        properties.Add(DetailProperty, entry.Detail);
                        blockContext.ReportDiagnostic(Diagnostic.Create(
                            Descriptors.PIN9001PinSite,
                            site.Syntax.GetLocation(),
                            properties.ToImmutable(),
                            entry.Kind,
                            entry.Class,
                            entry.Detail));
                    }
                });
        }
    }

    /// <summary>The lifetime classes of PIN9001 (docs/rules/PIN9001.md).</summary>
    internal static class LifetimeClasses
    {
        /// <summary>Released on every path in the method that made it, exceptional paths included.</summary>
        internal const string Short = "short";

        /// <summary>Bounded by a statement or scope: <c>fixed</c>, a lease scope.</summary>
        internal const string Scoped = "scoped";

        /// <summary>Outlives the method: kept in a field, returned, captured, handed to a call that keeps it.</summary>
        internal const string Long = "long";

        /// <summary>The memory is on the Pinned Object Heap: it never moves, whatever the pin's lifetime.</summary>
        internal const string PinnedObjectHeap = "poh";

        /// <summary>A revocable, budgeted pin lease.</summary>
        internal const string Lease = "lease";

        /// <summary>Not released on some path of its method, and not handed on either.</summary>
        internal const string Leaked = "leaked";

        /// <summary>For <c>Unsafe.AsPointer</c>: the address of movable heap memory, taken without a pin (PIN2003).</summary>
        internal const string Unpinned = "unpinned";

        /// <summary>For <c>Unsafe.AsPointer</c>: no pin is made and none is known to be needed.</summary>
        internal const string None = "none";
    }

    /// <summary>How the inventory reads a kind's lifetime from its site and fate.</summary>
    internal enum LifetimeReading
    {
        /// <summary>A pin with a release member (handles, memory handles, mapped-view pointers, pin owners): short, long, poh or leaked.</summary>
        Released,

        /// <summary>A <c>fixed</c> statement: scoped (or poh).</summary>
        Fixed,

        /// <summary>A lease: lease, or leaked when it is neither disposed on every path nor handed on.</summary>
        Lease,

        /// <summary>A lease scope: scoped, or leaked.</summary>
        Scope,

        /// <summary>An address taken without a pin: unpinned, poh or none.</summary>
        AddressOnly,
    }

    /// <summary>The inventory's name for a kind of pin site, how its lifetime is read, and the verb that ends it.</summary>
    internal sealed class InventoryKind
    {
        internal InventoryKind(string name, LifetimeReading reading, string releaseVerb)
        {
            Name = name;
            Reading = reading;
            ReleaseVerb = releaseVerb;
        }

        /// <summary>The <c>kind</c> property: lower-case words joined by '-', stable across releases.</summary>
        internal string Name { get; }

        internal LifetimeReading Reading { get; }

        /// <summary>"freed", "disposed", "released": for "freed on every path in the method".</summary>
        internal string ReleaseVerb { get; }

        /// <summary>What <see cref="Of"/> gives a kind without a line: not listed (PIN9001Tests fails until it has one).</summary>
        internal static readonly InventoryKind Unlisted = new(string.Empty, LifetimeReading.Released, string.Empty);

        /// <summary>For a kind that the engine follows but that is no pin of its own (an address into a mapping).</summary>
        internal static readonly InventoryKind NotAPinSite = new(string.Empty, LifetimeReading.Released, string.Empty);

        /// <summary>False for <see cref="Unlisted"/> and <see cref="NotAPinSite"/>: the inventory reports nothing for the site.</summary>
        internal bool IsListed => Name.Length > 0;

        /// <summary>
        /// One line per kind: its documented name (docs/rules/PIN9001.md), how its lifetime is read, and its release verb.
        /// A kind without a line is not listed — rather silent than wrong about a pin whose release it does not know.
        /// </summary>
        internal static InventoryKind Of(PinKind kind)
            => kind switch
            {
                PinKind.GCHandle => new("gchandle", LifetimeReading.Released, "freed"),
                PinKind.TypedHandle => new("pinned-gchandle", LifetimeReading.Released, "disposed"),
                PinKind.MemoryHandle => new("memory-handle", LifetimeReading.Released, "disposed"),
                PinKind.Fixed => new("fixed", LifetimeReading.Fixed, "unpinned"),
                PinKind.UnsafeAsPointer => new("unsafe-as-pointer", LifetimeReading.AddressOnly, "released"),
                PinKind.Lease => new("lease", LifetimeReading.Lease, "disposed"),
                PinKind.LeaseScope => new("lease-scope", LifetimeReading.Scope, "disposed"),
                PinKind.ViewPointer => new("mapped-view-pointer", LifetimeReading.Released, "released"),
                PinKind.Owner => new("pin-owner", LifetimeReading.Released, "disposed"),

                // Followed for PIN4001's escapes, but no pin made here: the mapping's owner decides its lifetime.
                PinKind.MappedAddress => NotAPinSite,
                _ => Unlisted,
            };
    }

    /// <summary>One PIN9001 entry: the kind, the lifetime class and the detail, from the site and its fate; null for a site the inventory does not list.</summary>
    internal readonly struct InventoryEntry
    {
        private InventoryEntry(string kind, string @class, string detail)
        {
            Kind = kind;
            Class = @class;
            Detail = detail;
        }

        internal string Kind { get; }

        internal string Class { get; }

        internal string Detail { get; }

        internal static InventoryEntry? For(PinSite site, MethodFlow method, PinApis apis, PinnedObjectHeap pinnedObjectHeap, PinFlowOptions.Provider options)
        {
            var kind = InventoryKind.Of(site.Kind);
            if (!kind.IsListed)
            {
                return null;
            }

            switch (kind.Reading)
            {
                case LifetimeReading.Fixed:
                    // The statement unpins when it ends, whatever its pointer does (an escape is PIN2001's finding).
                    return pinnedObjectHeap.Holds(site.Target, method)
                        ? OnPinnedObjectHeap(kind)
                        : new(kind.Name, LifetimeClasses.Scoped, "unpinned when the fixed statement ends");

                case LifetimeReading.AddressOnly:
                    if (UnsafeAsPointerAnalyzer.Unpinned(site, apis, pinnedObjectHeap, method.CancellationToken) is { } movable)
                    {
                        return new(kind.Name, LifetimeClasses.Unpinned, $"the address of {movable} is taken without a pin");
                    }

                    return pinnedObjectHeap.Holds(site.Target, method)
                        ? OnPinnedObjectHeap(kind)
                        : new(kind.Name, LifetimeClasses.None, "no pin, and no movable memory known to need one");

                case LifetimeReading.Lease:
                    {
                        var fate = PinFlow.Follow(site, method, apis, options.For(site.Syntax.SyntaxTree));
                        if (HandedOn(fate) is { } kept)
                        {
                            return new(kind.Name, LifetimeClasses.Lease, "revocable, " + kept.Description);
                        }

                        return fate.Release == PinRelease.AllPaths
                            ? new(kind.Name, LifetimeClasses.Lease, "revocable, disposed on every path in the method")
                            : new(kind.Name, LifetimeClasses.Leaked, "the lease " + fate.DescribeLeak(kind.ReleaseVerb));
                    }

                case LifetimeReading.Scope:
                    {
                        var fate = PinFlow.Follow(site, method, apis, options.For(site.Syntax.SyntaxTree));
                        if (HandedOn(fate) is { } kept)
                        {
                            return new(kind.Name, LifetimeClasses.Scoped, kept.Description + ": the receiver disposes it");
                        }

                        return fate.Release == PinRelease.AllPaths
                            ? new(kind.Name, LifetimeClasses.Scoped, "disposed on every path in the method")
                            : new(kind.Name, LifetimeClasses.Leaked, "the scope " + fate.DescribeLeak(kind.ReleaseVerb));
                    }

                default:
                    {
                        if (pinnedObjectHeap.Holds(site.Target, method))
                        {
                            return OnPinnedObjectHeap(kind);
                        }

                        var fate = PinFlow.Follow(site, method, apis, options.For(site.Syntax.SyntaxTree));
                        if (fate.Release == PinRelease.AllPaths)
                        {
                            return new(kind.Name, LifetimeClasses.Short, kind.ReleaseVerb + " on every path in the method");
                        }

                        if (site.Kind == PinKind.ViewPointer && MappedViewSites.HeldInField(site.Target))
                        {
                            // As PIN4002 sees it: a view held in a field belongs to the type's lifetime, released in its Dispose.
                            return new(kind.Name, LifetimeClasses.Long, "acquired on a view held in a field, released with its owner");
                        }

                        if (fate.Escapes)
                        {
                            // Where it goes, as PIN1001/PIN3001 say it: the first escape of the pin or of its address.
                            var sink = fate.Sinks[0];
                            return new(kind.Name, LifetimeClasses.Long, (sink.IsAddress ? "its address is " : string.Empty) + sink.Description);
                        }

                        return new(kind.Name, LifetimeClasses.Leaked, "the pin " + fate.DescribeLeak(kind.ReleaseVerb));
                    }
            }
        }

        private static InventoryEntry OnPinnedObjectHeap(InventoryKind kind)
            => new(kind.Name, LifetimeClasses.PinnedObjectHeap, "the memory is on the Pinned Object Heap and never moves");

        /// <summary>The first sink of the pin itself (not of its address): the pin is handed on, its receiver ends it.</summary>
        private static PinSink? HandedOn(PinFate fate)
        {
            foreach (var sink in fate.Sinks)
            {
                if (!sink.IsAddress)
                {
                    return sink;
                }
            }

            return null;
        }
    }
}
