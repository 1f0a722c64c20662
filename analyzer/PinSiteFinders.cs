using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// One way of recognising pin sites: the operation kinds it looks at, a cheap symbol filter that turns one
    /// operation into a <see cref="PinSite"/> (or null), and whether the compilation has the APIs at all.
    /// </summary>
    internal sealed class PinSiteFinder
    {
        private readonly Func<IOperation, PinApis, PinSite?> _find;
        private readonly Func<PinApis, bool> _isAvailable;

        internal PinSiteFinder(string name, Func<IOperation, PinApis, PinSite?> find, Func<PinApis, bool>? isAvailable, params OperationKind[] kinds)
        {
            Name = name;
            _find = find;
            _isAvailable = isAvailable ?? (_ => true);
            Kinds = ImmutableArray.Create(kinds);
        }

        /// <summary>What the finder recognises, for messages and tests.</summary>
        internal string Name { get; }

        /// <summary>The operation kinds <see cref="Find"/> can return a site for; it is called on no other.</summary>
        internal ImmutableArray<OperationKind> Kinds { get; }

        /// <summary>False when the compilation lacks the APIs: the finder is not registered at all.</summary>
        internal bool IsAvailable(PinApis apis) => _isAvailable(apis);

        internal PinSite? Find(IOperation operation, PinApis apis) => _find(operation, apis);
    }

    /// <summary>
    /// Every pin-site finder of the package, in one list: each rule analyzer registers the finder of its family,
    /// and the inventory (PIN9001, <see cref="PinInventoryAnalyzer"/>) registers them all. A new kind of pin site
    /// is one finder here (and its <see cref="PinKind"/>); the inventory then lists it without further change.
    /// </summary>
    internal static class PinSiteFinders
    {
        /// <summary><c>GCHandle.Alloc(x, GCHandleType.Pinned)</c> and <c>new PinnedGCHandle&lt;T&gt;(x)</c> (the 1xxx family).</summary>
        internal static readonly PinSiteFinder Handles = new(
            "handles",
            // Memory pins (MemoryHandle) are found by MemoryHandles: the 3xxx family.
            (operation, apis) => HandlePinSites.Find(operation, apis) is { Kind: not PinKind.MemoryHandle } site ? site : null,
            null,
            OperationKind.Invocation,
            OperationKind.ObjectCreation);

        /// <summary><c>Memory&lt;T&gt;.Pin()</c>, <c>ReadOnlyMemory&lt;T&gt;.Pin()</c>, <c>IPinnable.Pin</c> (the 3xxx family).</summary>
        internal static readonly PinSiteFinder MemoryHandles = new(
            "memory handles",
            HandlePinSites.FindMemoryPin,
            apis => apis.MemoryHandle is not null && !apis.MemoryPin.IsEmpty,
            OperationKind.Invocation);

        /// <summary>The declarators of <c>fixed</c> statements.</summary>
        internal static readonly PinSiteFinder Fixed = new(
            "fixed",
            (operation, _) => operation is IVariableDeclaratorOperation declarator ? PinSite.ForFixed(declarator) : null,
            null,
            OperationKind.VariableDeclarator);

        /// <summary><c>Unsafe.AsPointer(ref x)</c>: an address taken without a pin (PIN2003 judges what it points into).</summary>
        internal static readonly PinSiteFinder UnsafeAsPointer = new(
            "Unsafe.AsPointer",
            (operation, apis) => operation is IInvocationOperation { Arguments.Length: 1 } invocation && PinApis.Is(invocation.TargetMethod, apis.UnsafeAsPointer)
                ? new PinSite(invocation, PinKind.UnsafeAsPointer, invocation.Arguments[0].Value)
                : null,
            apis => apis.UnsafeAsPointer is not null,
            OperationKind.Invocation);

        /// <summary>Lease acquisitions and scope entries of the lease library (the 5xxx family).</summary>
        internal static readonly PinSiteFinder Leases = new(
            "leases",
            LeaseAnalyzer.FindSite,
            apis => apis.HasLeases,
            OperationKind.Invocation);

        /// <summary>Every finder; the inventory reports the sites of all of them.</summary>
        internal static readonly ImmutableArray<PinSiteFinder> All = ImmutableArray.Create(
            Handles,
            MemoryHandles,
            Fixed,
            UnsafeAsPointer,
            Leases);
    }
}
