using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// One way of recognising pin sites: the operation kinds it looks at, and how to bind it to a compilation — a cheap
    /// symbol filter that turns one operation into a <see cref="PinSite"/> (or null), or null when the compilation lacks
    /// the APIs. Binding once per compilation lets a finder keep per-compilation state (summaries, resolved symbols).
    /// </summary>
    internal sealed class PinSiteFinder
    {
        private readonly Func<PinApis, Func<IOperation, PinSite?>?> _bind;

        internal PinSiteFinder(string name, Func<PinApis, Func<IOperation, PinSite?>?> bind, params OperationKind[] kinds)
        {
            Name = name;
            _bind = bind;
            Kinds = ImmutableArray.Create(kinds);
        }

        /// <summary>What the finder recognises, for messages and tests.</summary>
        internal string Name { get; }

        /// <summary>The operation kinds the bound filter can return a site for; it is called on no other.</summary>
        internal ImmutableArray<OperationKind> Kinds { get; }

        /// <summary>The filter for one compilation, or null when the compilation has none of the finder's APIs.</summary>
        internal Func<IOperation, PinSite?>? Bind(PinApis apis) => _bind(apis);
    }

    /// <summary>
    /// Every pin-site finder of the package, in one list: each rule analyzer registers the finder of its family,
    /// and the inventory (PIN9001, <see cref="PinInventoryAnalyzer"/>) registers them all. A new kind of pin site is one
    /// line in <see cref="All"/> (its finder) and one in <see cref="InventoryKind.Of"/> (its inventory name and reading).
    /// </summary>
    internal static class PinSiteFinders
    {
        /// <summary><c>GCHandle.Alloc(x, GCHandleType.Pinned)</c> and <c>new PinnedGCHandle&lt;T&gt;(x)</c> (the 1xxx family).</summary>
        internal static readonly PinSiteFinder Handles = new(
            "handles",
            // Memory pins (MemoryHandle) are found by MemoryHandles: the 3xxx family.
            apis => operation => HandlePinSites.Find(operation, apis) is { Kind: not PinKind.MemoryHandle } site ? site : null,
            OperationKind.Invocation,
            OperationKind.ObjectCreation);

        /// <summary><c>Memory&lt;T&gt;.Pin()</c>, <c>ReadOnlyMemory&lt;T&gt;.Pin()</c>, <c>IPinnable.Pin</c> (the 3xxx family).</summary>
        internal static readonly PinSiteFinder MemoryHandles = new(
            "memory handles",
            apis => apis.MemoryHandle is null || apis.MemoryPin.IsEmpty ? null : operation => HandlePinSites.FindMemoryPin(operation, apis),
            OperationKind.Invocation);

        /// <summary>The declarators of <c>fixed</c> statements.</summary>
        internal static readonly PinSiteFinder Fixed = new(
            "fixed",
            _ => operation => operation is IVariableDeclaratorOperation declarator ? PinSite.ForFixed(declarator) : null,
            OperationKind.VariableDeclarator);

        /// <summary><c>Unsafe.AsPointer(ref x)</c>: an address taken without a pin (PIN2003 judges what it points into).</summary>
        internal static readonly PinSiteFinder UnsafeAsPointer = new(
            "Unsafe.AsPointer",
            apis => apis.UnsafeAsPointer is not { } asPointer
                ? null
                : operation => operation is IInvocationOperation { Arguments.Length: 1 } invocation && PinApis.Is(invocation.TargetMethod, asPointer)
                    ? new PinSite(invocation, PinKind.UnsafeAsPointer, invocation.Arguments[0].Value)
                    : null,
            OperationKind.Invocation);

        /// <summary>Lease acquisitions and scope entries of the lease library (the 5xxx family).</summary>
        internal static readonly PinSiteFinder Leases = new(
            "leases",
            apis => apis.HasLeases ? operation => LeaseAnalyzer.FindSite(operation, apis) : null,
            OperationKind.Invocation);

        /// <summary>Pins made by helpers of the compilation (<see cref="PinSummaries"/>) that hold a handle: PinnedHandleAnalyzer's.</summary>
        internal static readonly PinSiteFinder HandleOwners = new(
            "pin owners of handles",
            apis =>
            {
                var summaries = PinSummaries.For(apis);
                return operation => summaries.FindSite(operation) is { Kind: not PinKind.MemoryHandle } helper && helper.Owner?.IsMemory != true ? helper : null;
            },
            OperationKind.Invocation,
            OperationKind.ObjectCreation,
            OperationKind.Conversion);

        /// <summary>Pins made by helpers of the compilation that return or hold a <c>MemoryHandle</c>: MemoryHandleAnalyzer's.</summary>
        internal static readonly PinSiteFinder MemoryOwners = new(
            "pin owners of memory handles",
            apis =>
            {
                var summaries = PinSummaries.For(apis);
                return operation => summaries.FindSite(operation) is { } helper && (helper.Kind == PinKind.MemoryHandle || helper.Owner?.IsMemory == true) ? helper : null;
            },
            // No conversion operations: a conversion operator that makes a memory owner is rare, and conversions are
            // the most frequent operations of all (handle owners made by conversions are PinnedHandleAnalyzer's).
            OperationKind.Invocation,
            OperationKind.ObjectCreation);

        /// <summary>Mapped-view pointers (<c>AcquirePointer</c>) and mapped addresses (MappedViewAnalyzer binds its own instance).</summary>
        internal static readonly PinSiteFinder MappedViews = new(
            "mapped views",
            apis => MappedViewSites.Create(apis) is { } views ? views.Find : null,
            OperationKind.Invocation,
            OperationKind.FieldReference);

        /// <summary>
        /// Every finder; the inventory reports the sites of all of them. A finder that lives with its analyzer joins with a
        /// line such as <c>new("mapped views", apis => MappedViewSites.Create(apis) is { } views ? views.Find : null,
        /// OperationKind.Invocation)</c>.
        /// </summary>
        internal static readonly ImmutableArray<PinSiteFinder> All = ImmutableArray.Create(
            Handles,
            MemoryHandles,
            Fixed,
            UnsafeAsPointer,
            Leases,
            HandleOwners,
            MemoryOwners,
            MappedViews);
    }
}
