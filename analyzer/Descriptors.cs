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
            internal const string MemoryHandles = "MemoryHandles";
            internal const string MappedViews = "MappedViews";
            internal const string Leases = "Leases";
            internal const string Configuration = "Configuration";
        }

        internal static readonly DiagnosticDescriptor PIN0001InvalidConfigurationValue = Create(
            "PIN0001",
            "Invalid PinAnalyzers configuration value",
            "'{0}' has an invalid entry '{1}': the analyzers use {2} instead",
            Categories.Configuration,
            "A pin_analyzers.* value in .editorconfig or a global config that does not parse is ignored as a whole and the key's default is used, so the configuration the team wrote has no effect. Fix the entry named in the message.",
            WellKnownDiagnosticTags.CompilationEnd);

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

        internal static readonly DiagnosticDescriptor PIN1003PinsAccumulateInLoop = Create(
            "PIN1003",
            "Pins accumulate in a loop",
            "A pin is made on every iteration and kept past it ({0}): the number of pinned objects depends on the data",
            Categories.PinLifetime,
            "Pinning once per iteration and keeping each pin past the iteration makes the number of live pins grow with the input, scattering pinned objects across the heap. Pin one buffer for the whole loop, allocate the buffers on the Pinned Object Heap, or account them in a PinBudget.");

        internal static readonly DiagnosticDescriptor PIN1004PinnedValueTypeIsBoxedCopy = Create(
            "PIN1004",
            "Pinning a value type pins a boxed copy",
            "GCHandle.Alloc pins a boxed copy of this '{0}' value: writes through its address never reach the original",
            Categories.PinLifetime,
            "GCHandle.Alloc takes an object: a struct argument is boxed first, and the handle pins the box. Native code that writes through the address changes the box, never the variable. Pin the containing array or object, or use fixed on the variable.");

        internal static readonly DiagnosticDescriptor PIN1005AddressOfUnpinnedHandle = Create(
            "PIN1005",
            "Address of a handle that is not pinned",
            "'{0}' is allocated as a {1} handle, not Pinned: AddrOfPinnedObject throws InvalidOperationException",
            Categories.PinLifetime,
            "AddrOfPinnedObject only works on a handle allocated with GCHandleType.Pinned; on a Normal or Weak handle it throws at run time, because the object may move.");

        internal static readonly DiagnosticDescriptor PIN2001PointerEscapesFixed = Create(
            "PIN2001",
            "Pointer escapes its fixed statement",
            "The pointer from the fixed statement escapes it: {0}",
            Categories.PointerSafety,
            "A fixed statement pins only for its own extent. A pointer (or IntPtr, span or offset pointer derived from it) kept past the statement points into memory the GC may move or reclaim: a GC hole.");

        internal static readonly DiagnosticDescriptor PIN2002PointerPassedToRetainingCall = Create(
            "PIN2002",
            "Pinned pointer passed to a call that keeps it",
            "The pinned pointer is passed to '{0}', which keeps it after it returns, but the pin ends in this method{1}",
            Categories.PointerSafety,
            "Asynchronous native APIs (overlapped I/O, aio, io_uring, RDMA registrations), native libraries that keep a caller's buffer (SQLite SQLITE_STATIC binds, SDL surfaces and streams, font atlases, audio buffers, libcurl POST data, ...) and methods marked [RetainsPointer] use the buffer after the call returns. A pin that ends in this method (fixed, or a handle freed before returning) leaves them a dangling pointer.");

        internal static readonly DiagnosticDescriptor PIN2003AddressOfMovableMemory = Create(
            "PIN2003",
            "Address of movable memory taken without a pin",
            "Unsafe.AsPointer takes the address of {0} without pinning it: the GC may move it",
            Categories.PointerSafety,
            "Unsafe.AsPointer does not pin. On heap memory — array elements, fields of classes, array or string data — the GC may move the object while the pointer is in use. Use fixed, a pinned handle, or the Pinned Object Heap.");

        internal static readonly DiagnosticDescriptor PIN2004AddressOutlivesPin = Create(
            "PIN2004",
            "Address outlives its pin",
            "The address from the pinned handle is {0}, but the handle is freed in this method: the pointer dangles once the object moves",
            Categories.PointerSafety,
            "A handle that is freed before the method returns pins its object only until Free. An address taken from it and kept longer (a field, a static, an array element, a collection, a return value, an out parameter, a capture) points into an object the GC may move or reclaim: a GC hole.");

        internal static readonly DiagnosticDescriptor PIN3001MemoryHandleOutlivesMethod = Create(
            "PIN3001",
            "MemoryHandle outlives the method that pinned it",
            "The MemoryHandle outlives the method: {0}",
            Categories.MemoryHandles,
            "Memory<T>.Pin() and IPinnable.Pin pin the memory until the MemoryHandle is disposed. A handle kept past the method that made it (a field, a collection, a return, a capture) pins an ordinary-heap array for an unbounded time, fragmenting the GC heap. Use memory from the Pinned Object Heap (MemoryMarshal.CreateFromPinnedArray), or hold the pin through a revocable PinLease.");

        internal static readonly DiagnosticDescriptor PIN3002MemoryHandleNotDisposed = Create(
            "PIN3002",
            "MemoryHandle is not disposed on every path",
            "The MemoryHandle {0}",
            Categories.MemoryHandles,
            "A MemoryHandle from Memory<T>.Pin() or IPinnable.Pin that is not disposed on every path, exceptional paths included, leaks its pin: the array stays pinned (its GCHandle is never freed) or the MemoryManager is never unpinned. Dispose it with using.");

        internal static readonly DiagnosticDescriptor PIN4001MappedViewHandedToNativeCode = Create(
            "PIN4001",
            "Mapped view of a DAX file handed to native code",
            "A pointer into the DAX mapping of {0} is passed to '{1}', which pins its pages long-term: the kernel refuses or cannot honour long-term pins of fs-DAX pages (truncate and hole punch must wait for them); hold it through a revocable lease (MappedViewLease), or use device-DAX or on-demand paging",
            Categories.MappedViews,
            "On a file-system DAX mount the pages of a mapped file are the file itself. A long-term pin of them (an RDMA registration, io_uring fixed buffers) blocks truncate and hole punch, and the kernel refuses or breaks such pins. Hold the mapping through a revocable MappedViewLease that the file's owner can revoke before truncating, map device-DAX (/dev/dax*) instead, or register with on-demand paging (IBV_ACCESS_ON_DEMAND).");

        internal static readonly DiagnosticDescriptor PIN4002ViewPointerNotReleased = Create(
            "PIN4002",
            "View pointer is not released on every path",
            "The view pointer from AcquirePointer {0}",
            Categories.MappedViews,
            "SafeMemoryMappedViewHandle.AcquirePointer adds a reference to the view that only ReleasePointer removes. A pointer that is not released on every path, exceptional paths included, keeps the view mapped after it is disposed: the mapping, and the file under it, are never let go. Release it in a finally block.");

        internal static readonly DiagnosticDescriptor PIN4003ViewPointerWithoutPointerOffset = Create(
            "PIN4003",
            "View pointer used without PointerOffset",
            "The view is created at offset {0}, but AcquirePointer returns the start of its page-aligned mapping: add '{1}.PointerOffset' to reach the offset",
            Categories.MappedViews,
            "A view created at an offset that is not a multiple of the allocation granularity is mapped from the aligned offset below it. AcquirePointer returns the start of that mapping; the requested offset is PointerOffset bytes further. Code that uses the pointer as is reads and writes the wrong bytes.");

        internal static readonly DiagnosticDescriptor PIN5001LeaseNotDisposed = Create(
            "PIN5001",
            "Pin lease is not disposed on every path",
            "The pin lease {0}",
            Categories.Leases,
            "A PinLease or MappedViewLease kept in a local pins its memory and holds its budget until it is disposed. A lease that is not disposed on every path is never unpinned, is never refunded to its PinBudget, and makes every RevokeAsync on it time out.");

        internal static readonly DiagnosticDescriptor PIN5002ScopeAddressOutlivesScope = Create(
            "PIN5002",
            "Address from a pin scope outlives the scope",
            "The address from the pin scope is {0}: it outlives the scope, and a revoked lease is unpinned as soon as its scopes have exited",
            Categories.Leases,
            "A PinScope (or MappedViewScope) guarantees the memory only while it is open; the lease may be revoked and unpinned once every scope has exited. An Address or Span pointer kept past the scope is a dangling pointer waiting for a revocation.");

        internal static readonly DiagnosticDescriptor PIN5003ScopeNotDisposed = Create(
            "PIN5003",
            "Pin scope is not disposed on every path",
            "The pin scope {0}: a revocation cannot drain it",
            Categories.Leases,
            "Every Enter() or successful TryEnter() counts one in-flight use until the scope is disposed. A scope that is not disposed on every path never lets RevokeAsync drain: the owner's revocation times out and the memory stays pinned.");

        internal static readonly DiagnosticDescriptor PIN5004HolderIgnoresRevocation = Create(
            "PIN5004",
            "Lease holder never responds to revocation",
            "'{0}' holds a pin lease but never observes its RevocationRequested: RevokeAsync on it can only time out",
            Categories.Leases,
            "Revocation completes only when the holder stops using the memory and disposes the lease. A type that acquires a lease into a field and never looks at RevocationRequested cannot do that: the owner's truncate or reuse is refused for as long as the holder lives.");

        private static DiagnosticDescriptor Create(string id, string title, string messageFormat, string category, string description, params string[] customTags)
            => new(
                id,
                title,
                messageFormat,
                category,
                DiagnosticSeverity.Warning,
                isEnabledByDefault: true,
                description: description,
                helpLinkUri: HelpLinkRoot + id + ".md",
                customTags: customTags);
    }
}
