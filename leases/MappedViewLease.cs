using System;
using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace PinAnalyzers.Leases;

/// <summary>
/// A revocable, budgeted hold on a memory-mapped view: the view's pointer is acquired
/// (<c>SafeMemoryMappedViewHandle.AcquirePointer</c>) for the lease's lifetime, so the view
/// stays mapped even if its accessor is disposed, and released when the holder has disposed the lease
/// and every scope has exited. The owner of the file (for example on a DAX file system) calls
/// <see cref="RevokeAsync"/> before it truncates or reuses the file, and proceeds only on true.
/// </summary>
/// <remarks>
/// Same contract as <see cref="PinLease{T}"/>: revocation never releases a view a holder may still
/// use; there is no finalizer (a leaked lease keeps the view mapped).
/// </remarks>
public sealed class MappedViewLease : IDisposable
{
    private const string Name = nameof(MappedViewLease);

    private readonly LeaseCore _core;

    private MappedViewLease(LeaseCore core)
    {
        _core = core;
    }

    /// <summary>The length of the view in bytes (the accessor's <c>Capacity</c>), charged to the budget.</summary>
    public long Length => _core.ByteLength;

    /// <summary>The budget this lease is charged to.</summary>
    public PinBudget Budget => _core.Budget;

    /// <summary>
    /// The address of the view's first byte, already offset by <see cref="MemoryMappedViewAccessor.PointerOffset"/>.
    /// </summary>
    /// <exception cref="PinRevokedException">The owner has asked for the view back (also after the holder disposed in response).</exception>
    /// <exception cref="ObjectDisposedException">The holder has disposed the lease without any revocation.</exception>
    public IntPtr Address => _core.GetAddress();

    /// <summary>Cancelled when the owner calls <see cref="RevokeAsync"/> (or <see cref="PinBudget.RevokeAllAsync"/> on its budget): stop using the view and dispose the lease.</summary>
    public CancellationToken RevocationRequested => _core.RevocationRequested;

    /// <summary>True once the lease was revoked and the view's pointer released.</summary>
    public bool IsRevoked => _core.IsRevoked;

    /// <summary>True until the view's pointer has been released (after disposal and the last scope's exit).</summary>
    public bool IsPinned => _core.IsPinned;

    /// <summary>Acquires <paramref name="view"/>'s pointer and charges its capacity to <paramref name="budget"/>.</summary>
    /// <param name="view">The view accessor.</param>
    /// <param name="budget">The budget to charge; <see cref="PinBudget.Shared"/> when null.</param>
    /// <returns>The lease; dispose it to release the pointer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="view"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The view has been disposed; the budget is unchanged.</exception>
    /// <exception cref="PinBudgetExceededException">The budget would be exceeded; nothing is acquired.</exception>
    /// <exception cref="PinRevokedException">The budget is revoking all its leases (<see cref="PinBudget.RevokeAllAsync"/>); nothing is acquired.</exception>
    public static MappedViewLease Acquire(MemoryMappedViewAccessor view, PinBudget? budget = null)
    {
        if (view is null)
        {
            throw new ArgumentNullException(nameof(view));
        }

        budget ??= PinBudget.Shared;
        long bytes = view.Capacity;
        budget.Charge(bytes, Name);
        return Create(view, budget, bytes);
    }

    /// <summary>Acquires <paramref name="view"/>'s pointer if <paramref name="budget"/> allows it.</summary>
    /// <param name="view">The view accessor.</param>
    /// <param name="budget">The budget to charge; <see cref="PinBudget.Shared"/> when null.</param>
    /// <param name="lease">The lease, or null when the budget would be exceeded.</param>
    /// <returns>False, with nothing acquired, when the budget would be exceeded.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="view"/> is null.</exception>
    /// <exception cref="PinRevokedException">The budget is revoking all its leases (<see cref="PinBudget.RevokeAllAsync"/>); nothing is acquired.</exception>
    public static bool TryAcquire(MemoryMappedViewAccessor view, PinBudget? budget, [NotNullWhen(true)] out MappedViewLease? lease)
    {
        if (view is null)
        {
            throw new ArgumentNullException(nameof(view));
        }

        budget ??= PinBudget.Shared;
        long bytes = view.Capacity;
        if (!budget.TryCharge(bytes, Name))
        {
            lease = null;
            return false;
        }

        lease = Create(view, budget, bytes);
        return true;
    }

    /// <summary>Opens a scope: the view stays mapped at least until the scope is disposed. Allocation-free and lock-free.</summary>
    /// <returns>The scope.</returns>
    /// <exception cref="PinRevokedException">The owner has asked for the view back (also after the holder disposed in response).</exception>
    /// <exception cref="ObjectDisposedException">The holder has disposed the lease without any revocation.</exception>
    public MappedViewScope Enter() => new MappedViewScope(_core, _core.EnterScope());

    /// <summary>Opens a scope unless the lease is revoked or disposed.</summary>
    /// <param name="scope">The open scope, or a default (closed) scope when this returns false.</param>
    /// <returns>False when the owner has asked for the view back or the holder has disposed the lease.</returns>
    public bool TryEnter(out MappedViewScope scope)
    {
        ScopeTicket? ticket = _core.TryEnterScope();
        if (ticket is null)
        {
            scope = default;
            return false;
        }

        scope = new MappedViewScope(_core, ticket);
        return true;
    }

    /// <summary>
    /// Asks for the view back; see <see cref="PinLease{T}.RevokeAsync"/> for the full contract. True when the
    /// pointer has been released (the file may be truncated); false when the grace period ran out first.
    /// </summary>
    /// <param name="grace">How long to wait; <see cref="TimeSpan.Zero"/> only checks; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>; the view stays acquired.</param>
    /// <returns>True when released; false when the grace period ran out (the view stays acquired until the holder disposes).</returns>
    public Task<bool> RevokeAsync(TimeSpan grace, CancellationToken cancellationToken = default) =>
        _core.RevokeAsync(grace, cancellationToken);

    /// <summary>The holder lets go: no new scopes; the pointer is released now or when the last scope exits. Safe to call more than once.</summary>
    public void Dispose() => _core.Dispose();

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}[{Length} bytes, {(IsPinned ? "acquired" : "released")}, {_core.ActiveScopes} scopes{(RevocationRequested.IsCancellationRequested ? ", revoking" : string.Empty)}]";

    private static MappedViewLease Create(MemoryMappedViewAccessor view, PinBudget budget, long bytes)
    {
        // The budget is already charged; Pin() takes the pointer last and refunds the charge itself if it throws.
        MappedViewCore core;
        MappedViewLease lease;
        try
        {
            core = new MappedViewCore(view.SafeMemoryMappedViewHandle, view.PointerOffset, budget, bytes);
            lease = new MappedViewLease(core);
        }
        catch
        {
            budget.Refund(bytes);
            throw;
        }

        core.Pin();
        return lease;
    }

    private sealed class MappedViewCore : LeaseCore
    {
        private readonly SafeMemoryMappedViewHandle _handle;
        private readonly long _pointerOffset;

        internal MappedViewCore(SafeMemoryMappedViewHandle handle, long pointerOffset, PinBudget budget, long byteLength)
            : base(budget, byteLength, Name)
        {
            _handle = handle;
            _pointerOffset = pointerOffset;
        }

        protected override unsafe IntPtr PinResource()
        {
            byte* pointer = null;
            _handle.AcquirePointer(ref pointer);
            return (IntPtr)(pointer + _pointerOffset);
        }

        protected override void ReleaseResource() => _handle.ReleasePointer();
    }
}
