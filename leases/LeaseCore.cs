using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace PinAnalyzers.Leases;

/// <summary>
/// The lease state machine shared by <see cref="PinLease{T}"/> and <see cref="MappedViewLease"/>.
/// A subclass knows how to pin and unpin one kind of resource; everything else (scope counting,
/// holder disposal, revocation, budget refund) lives here, once.
/// </summary>
/// <remarks>
/// <para>All state is one <see cref="int"/> changed only with <see cref="Interlocked"/>:</para>
/// <list type="bullet">
/// <item>bits 0–27: the number of open scopes (in-flight uses of the memory);</item>
/// <item><see cref="DisposedFlag"/>: the holder has called <c>Dispose</c> (no new scopes);</item>
/// <item><see cref="RevokingFlag"/>: the owner has asked for the pin back (no new scopes);</item>
/// <item><see cref="UnpinnedFlag"/>: the pin has been released and the budget refunded (terminal).</item>
/// </list>
/// <para>The pin is released exactly once, by whoever moves the word from "disposed, no scopes" to
/// "unpinned": the holder's <c>Dispose</c> or the exit of the last scope. Revocation alone never
/// unpins: memory a holder may still use is never pulled from under it.</para>
/// <para>Every pinned lease is registered with its <see cref="PinBudget"/> (an intrusive list guarded by the
/// budget's lock, touched only when a lease is acquired and when it is unpinned, never by scopes), so that
/// <see cref="PinBudget.RevokeAllAsync"/> can reach every lease charged to the budget.</para>
/// <para>There is deliberately no finalizer. A lease object that nobody can reach may still have its
/// address registered with native code (a NIC, an io_uring ring); unpinning it from the finalizer
/// would hand that memory back while the device may still write to it. A leaked lease therefore
/// stays pinned and charged: a leak, never a corruption.</para>
/// </remarks>
internal abstract class LeaseCore
{
    internal const int CountMask = 0x0FFF_FFFF;
    internal const int DisposedFlag = 0x1000_0000;
    internal const int RevokingFlag = 0x2000_0000;
    internal const int UnpinnedFlag = 0x4000_0000;

    private int _state;
    private IntPtr _address;
    // No timer is ever attached to this source, so it owns no unmanaged resource and is not disposed:
    // disposing it would break holders that register on RevocationRequested late (netstandard2.0 throws).
    private readonly CancellationTokenSource _revocation = new CancellationTokenSource();
    private readonly TaskCompletionSource<bool> _unpinned =
        new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

    // The budget's list of registered leases; read and written only under the budget's lock.
    internal LeaseCore? PreviousInBudget;
    internal LeaseCore? NextInBudget;

    protected LeaseCore(PinBudget budget, long byteLength, string leaseName)
    {
        Budget = budget;
        ByteLength = byteLength;
        LeaseName = leaseName;
    }

    internal PinBudget Budget { get; }

    internal long ByteLength { get; }

    internal string LeaseName { get; }

    /// <summary>The address without state checks, for scopes (which hold the pin open themselves).</summary>
    internal IntPtr RawAddress => _address;

    internal CancellationToken RevocationRequested => _revocation.Token;

    internal bool IsRevoked => (Volatile.Read(ref _state) & (RevokingFlag | UnpinnedFlag)) == (RevokingFlag | UnpinnedFlag);

    internal bool IsPinned => (Volatile.Read(ref _state) & UnpinnedFlag) == 0;

    internal bool IsDisposed => (Volatile.Read(ref _state) & DisposedFlag) != 0;

    internal bool IsRevocationRequested => (Volatile.Read(ref _state) & RevokingFlag) != 0;

    /// <summary>Completes (with true) once the lease is unpinned, or once an acquire that failed has left nothing pinned.</summary>
    internal Task<bool> Unpinned => _unpinned.Task;

    internal int ActiveScopes => Volatile.Read(ref _state) & CountMask;

    /// <summary>Pins the resource and returns the address of its first byte.</summary>
    protected abstract IntPtr PinResource();

    /// <summary>Releases what <see cref="PinResource"/> took. Called exactly once.</summary>
    protected abstract void ReleaseResource();

    /// <summary>
    /// Registers the lease with its budget and takes the pin. The caller has charged the budget; if this
    /// throws, nothing is pinned, the lease is not registered and the charge has been refunded.
    /// </summary>
    /// <exception cref="PinRevokedException">
    /// The budget is revoking all its leases: either when the lease was to be registered (nothing was
    /// pinned), or while it was being pinned (it has been unpinned again before anyone saw its address).
    /// </exception>
    internal void Pin()
    {
        if (!Budget.TryRegister(this))
        {
            Budget.Refund(ByteLength);
            LeaseMetrics.RecordRejection(Budget, "revoking");
            throw PinRevokedException.AcquireRefused(LeaseName, ByteLength, Budget.Name);
        }

        try
        {
            _address = PinResource();
        }
        catch
        {
            Abandon();
            throw;
        }

        if ((Volatile.Read(ref _state) & RevokingFlag) != 0)
        {
            // A RevokeAllAsync that started after the registration caught this lease mid-acquire and is
            // waiting for it. No holder has seen it, so nobody can be using the memory: unpin it now
            // (which completes that wait) and refuse the acquisition.
            Dispose();
            throw PinRevokedException.RevokedWhileAcquiring(LeaseName, ByteLength, Budget.Name);
        }
    }

    /// <summary>The pin could not be taken: leave the lease unpinned, unregistered and refunded.</summary>
    private void Abandon()
    {
        int s = Volatile.Read(ref _state);
        while (true)
        {
            int seen = Interlocked.CompareExchange(ref _state, s | DisposedFlag | UnpinnedFlag, s);
            if (seen == s)
            {
                break;
            }

            s = seen;
        }

        Budget.Release(this);
        _unpinned.TrySetResult(true);
    }

    /// <summary>Returns the address for the holder, or throws if the lease may no longer be used.</summary>
    internal IntPtr GetAddress()
    {
        int s = Volatile.Read(ref _state);
        if ((s & (DisposedFlag | RevokingFlag)) != 0)
        {
            ThrowBlocked(s);
        }

        return _address;
    }

    /// <summary>Opens a scope or throws <see cref="ObjectDisposedException"/> / <see cref="PinRevokedException"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ScopeTicket EnterScope()
    {
        ScopeTicket ticket = ScopeTicket.Rent();
        if (!TryAddScope(out int blocked))
        {
            ScopeTicket.Return(ticket);
            ThrowBlocked(blocked);
        }

        return ticket;
    }

    /// <summary>Opens a scope, or returns null when the lease is revoked or disposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ScopeTicket? TryEnterScope()
    {
        ScopeTicket ticket = ScopeTicket.Rent();
        if (!TryAddScope(out _))
        {
            ScopeTicket.Return(ticket);
            return null;
        }

        return ticket;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryAddScope(out int blockedState)
    {
        int s = Volatile.Read(ref _state);
        while ((s & (DisposedFlag | RevokingFlag)) == 0)
        {
            if ((s & CountMask) == CountMask)
            {
                ThrowTooManyScopes();
            }

            int seen = Interlocked.CompareExchange(ref _state, s + 1, s);
            if (seen == s)
            {
                blockedState = 0;
                return true;
            }

            s = seen;
        }

        blockedState = s;
        return false;
    }

    /// <summary>Closes a scope opened by <see cref="EnterScope"/>; the last one out after disposal unpins.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ExitScope()
    {
        int s = Interlocked.Decrement(ref _state);
        if ((s & (CountMask | DisposedFlag | UnpinnedFlag)) == DisposedFlag)
        {
            Unpin();
        }
    }

    /// <summary>The holder lets go: no new scopes; unpins now or when the last scope exits.</summary>
    internal void Dispose()
    {
        int s = Volatile.Read(ref _state);
        while ((s & DisposedFlag) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, s | DisposedFlag, s);
            if (seen == s)
            {
                if ((s & CountMask) == 0)
                {
                    Unpin();
                }

                return;
            }

            s = seen;
        }
    }

    private void Unpin()
    {
        int s = Volatile.Read(ref _state);
        while (true)
        {
            // Only "disposed, no scopes, still pinned" may move to unpinned. Once disposed, the count
            // can only fall, so this state is stable and exactly one caller wins the exchange.
            if ((s & (CountMask | DisposedFlag | UnpinnedFlag)) != DisposedFlag)
            {
                return;
            }

            int seen = Interlocked.CompareExchange(ref _state, s | UnpinnedFlag, s);
            if (seen == s)
            {
                break;
            }

            s = seen;
        }

        try
        {
            ReleaseResource();
        }
        finally
        {
            Budget.Release(this);
            _unpinned.TrySetResult(true);
        }
    }

    /// <summary>Sets the revoking flag; true for the one caller that set it.</summary>
    private bool MarkRevoking()
    {
        int s = Volatile.Read(ref _state);
        while ((s & RevokingFlag) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, s | RevokingFlag, s);
            if (seen == s)
            {
                return true;
            }

            s = seen;
        }

        return false;
    }

    /// <summary>
    /// Refuses new scopes and <see cref="GetAddress"/>, then cancels <see cref="RevocationRequested"/> (the
    /// first call only), running the holder's callbacks on this thread.
    /// </summary>
    /// <exception cref="AggregateException">A holder's callback threw; the revocation stands.</exception>
    internal void RequestRevocation()
    {
        if (MarkRevoking())
        {
            _revocation.Cancel();
        }
    }

    /// <summary>Throws when <paramref name="grace"/> is not a valid grace period.</summary>
    internal static void ValidateGrace(TimeSpan grace)
    {
        if (grace != Timeout.InfiniteTimeSpan
            && (grace < TimeSpan.Zero || grace.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(
                nameof(grace),
                grace,
                "The grace period must be between zero and Int32.MaxValue milliseconds, or Timeout.InfiniteTimeSpan.");
        }
    }

    /// <summary>
    /// Waits until <paramref name="unpinned"/> completes, <paramref name="grace"/> runs out or
    /// <paramref name="cancellationToken"/> is cancelled, whichever comes first; never throws.
    /// </summary>
    internal static async Task WaitAsync(Task unpinned, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (unpinned.IsCompleted || grace == TimeSpan.Zero)
        {
            return;
        }

        using var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task delay = Task.Delay(grace, delayCancellation.Token);
        Task first = await Task.WhenAny(unpinned, delay).ConfigureAwait(false);
        if (first == unpinned)
        {
            delayCancellation.Cancel(); // drop the timer now rather than when the grace ends
        }
    }

    internal Task<bool> RevokeAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        ValidateGrace(grace);
        if (cancellationToken.IsCancellationRequested)
        {
            // Nothing has been asked of the holder yet: cancelling before the call does nothing.
            return Task.FromCanceled<bool>(cancellationToken);
        }

        return RevokeCoreAsync(grace, cancellationToken);
    }

    private async Task<bool> RevokeCoreAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        // Holders' callbacks run here, synchronously, after new scopes are already refused.
        // If one throws, the returned task faults with the AggregateException; the revocation stands.
        RequestRevocation();

        Task<bool> unpinned = _unpinned.Task;
        await WaitAsync(unpinned, grace, cancellationToken).ConfigureAwait(false);

        if (unpinned.IsCompleted)
        {
            LeaseMetrics.RecordRevocation(Budget, "released");
            return true;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            LeaseMetrics.RecordRevocation(Budget, "canceled");
            cancellationToken.ThrowIfCancellationRequested();
        }

        LeaseMetrics.RecordRevocation(Budget, "timed_out");
        return false;
    }

    private void ThrowBlocked(int state)
    {
        // Revocation wins over disposal: a holder that disposed because the owner asked for the memory
        // back is told so, not that it made a mistake.
        if ((state & RevokingFlag) != 0)
        {
            throw new PinRevokedException(LeaseName, ByteLength);
        }

        throw new ObjectDisposedException(LeaseName, "The lease has been disposed by its holder.");
    }

    private static void ThrowTooManyScopes() =>
        throw new InvalidOperationException($"A lease cannot have more than {CountMask} scopes open at once.");
}
