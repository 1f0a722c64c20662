using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace PinAnalyzers.Leases;

/// <summary>
/// A limit on pinned memory: how many bytes, and how many leases, may be pinned at once. Every lease
/// charges its byte length when it is acquired and refunds it exactly once, when it is unpinned.
/// </summary>
/// <remarks>
/// <para>This is the run-time counterpart of the kernel's <c>RLIMIT_MEMLOCK</c> accounting: nobody can
/// pin the process to death by accident or on purpose. An acquire that would exceed either limit
/// fails with <see cref="PinBudgetExceededException"/> (or <c>TryAcquire</c> returns false) and pins nothing.</para>
/// <para>The counters are lock-free. Under concurrent acquires a reservation that is about to be rolled
/// back (the lease slot was taken but the bytes did not fit) can briefly make another acquire fail:
/// the limits are never exceeded, but near the limit a rejection can be conservative.</para>
/// <para>A budget also groups its leases for the memory's owner: <see cref="RevokeAllAsync"/> revokes every
/// lease charged to it. One budget per file is how the owner of a file on a DAX file system gets every
/// lease over the file's pages back before it truncates the file or punches a hole in it.</para>
/// <para>The counters are published through the <see cref="System.Diagnostics.Metrics.Meter"/> named
/// <c>PinAnalyzers.Leases</c> (see <see cref="MeterName"/>), tagged with the budget's <see cref="Name"/>.</para>
/// </remarks>
public sealed class PinBudget
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> that publishes the counters.</summary>
    public const string MeterName = LeaseMetrics.MeterName;

    private long _pinnedBytes;
    private int _activeLeases;

    // Guards the list of registered leases and _revokingAll's changes. Taken when a lease is acquired
    // and when it is unpinned, never by scopes.
    private readonly object _gate = new object();
    private LeaseCore? _leases;
    private int _registered;

    // The number of RevokeAllAsync calls in progress; while it is not zero, acquisitions are refused.
    private int _revokingAll;

    /// <summary>Creates a budget of <paramref name="maxBytes"/> bytes and <paramref name="maxLeases"/> leases.</summary>
    /// <param name="maxBytes">The most bytes that may be pinned at once (zero or more).</param>
    /// <param name="maxLeases">The most leases that may be held at once (zero or more).</param>
    public PinBudget(long maxBytes, int maxLeases = int.MaxValue)
        : this("default", maxBytes, maxLeases)
    {
    }

    /// <summary>Creates a named budget; the name tags its metrics.</summary>
    /// <param name="name">A name for metrics and messages.</param>
    /// <param name="maxBytes">The most bytes that may be pinned at once (zero or more).</param>
    /// <param name="maxLeases">The most leases that may be held at once (zero or more).</param>
    public PinBudget(string name, long maxBytes, int maxLeases = int.MaxValue)
    {
        if (name is null)
        {
            throw new ArgumentNullException(nameof(name));
        }

        if (maxBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "The byte limit cannot be negative.");
        }

        if (maxLeases < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLeases), maxLeases, "The lease limit cannot be negative.");
        }

        Name = name;
        MaxBytes = maxBytes;
        MaxLeases = maxLeases;
        LeaseMetrics.Register(this);
    }

    /// <summary>
    /// The budget used when none is given: no limit (<see cref="long.MaxValue"/> bytes,
    /// <see cref="int.MaxValue"/> leases), it only counts.
    /// </summary>
    public static PinBudget Shared { get; } = new PinBudget("shared", long.MaxValue, int.MaxValue);

    /// <summary>The budget's name (tags its metrics; "shared" for <see cref="Shared"/>).</summary>
    public string Name { get; }

    /// <summary>The most bytes that may be pinned at once.</summary>
    public long MaxBytes { get; }

    /// <summary>The most leases that may be held at once.</summary>
    public int MaxLeases { get; }

    /// <summary>The bytes pinned now by leases charged to this budget.</summary>
    public long PinnedBytes => Interlocked.Read(ref _pinnedBytes);

    /// <summary>The leases charged to this budget and not yet unpinned.</summary>
    public int ActiveLeases => Volatile.Read(ref _activeLeases);

    /// <inheritdoc/>
    public override string ToString() =>
        $"PinBudget '{Name}': {PinnedBytes} of {MaxBytes} bytes, {ActiveLeases} of {MaxLeases} leases";

    /// <summary>
    /// Revokes every lease charged to this budget: asks each holder for its memory back (as
    /// <see cref="PinLease{T}.RevokeAsync"/> does), refuses new acquisitions while it runs, and waits until
    /// every lease is unpinned or <paramref name="grace"/> runs out.
    /// </summary>
    /// <param name="grace">How long to wait for all of them together; <see cref="TimeSpan.Zero"/> only checks;
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>. Nothing is
    /// unpinned by the cancellation; the leases' revocation stands (their holders were already told).</param>
    /// <returns>
    /// True when every lease that was charged to the budget when the call started has been unpinned (the
    /// memory may be truncated, reused or unmapped). False when the grace period ran out first: the leases
    /// that did not let go stay pinned and charged, and are unpinned when their holders dispose them.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="grace"/> is negative (other than infinite) or too large.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before every lease was unpinned (the task is cancelled).</exception>
    /// <exception cref="AggregateException">One or more holders' revocation callbacks threw (the task faults
    /// after every lease was asked); the revocations stand, call again to wait.</exception>
    /// <remarks>
    /// <para>While the call runs (from the call until its task completes), every acquisition charged to this
    /// budget (<c>Acquire</c>, <c>TryAcquire</c>, <c>Allocate</c>) throws <see cref="PinRevokedException"/>
    /// and pins nothing. An acquisition that was already past that check when the call started is revoked
    /// with the others: it throws <see cref="PinRevokedException"/> too, after unpinning what it had pinned,
    /// and this call waits for that.</para>
    /// <para>When the task has completed (true, false, cancelled or faulted) the budget accepts acquisitions
    /// again: it is a limit and a grouping, not a lifetime. An owner that must keep new leases out until
    /// it has truncated the file stops handing out views before it revokes (see docs/leases.md).</para>
    /// <para>Safe to call concurrently (acquisitions are refused until the last call completes) and on
    /// <see cref="Shared"/> (every lease acquired without a budget).</para>
    /// </remarks>
    public Task<bool> RevokeAllAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        LeaseCore.ValidateGrace(grace);
        if (cancellationToken.IsCancellationRequested)
        {
            // Nothing has been asked of any holder yet, and nothing is refused.
            return Task.FromCanceled<bool>(cancellationToken);
        }

        return RevokeAllCoreAsync(grace, cancellationToken);
    }

    private async Task<bool> RevokeAllCoreAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        LeaseCore[] leases;
        lock (_gate)
        {
            _revokingAll++;
            leases = new LeaseCore[_registered];
            int i = 0;
            for (LeaseCore? lease = _leases; lease is not null; lease = lease.NextInBudget)
            {
                leases[i++] = lease;
            }
        }

        try
        {
            // Ask every holder before waiting for any: a callback that throws must not leave the others unasked.
            List<Exception>? callbackErrors = null;
            var unpinned = new Task[leases.Length];
            for (int i = 0; i < leases.Length; i++)
            {
                try
                {
                    leases[i].RequestRevocation();
                }
                catch (AggregateException e)
                {
                    (callbackErrors ??= new List<Exception>()).AddRange(e.InnerExceptions);
                }

                unpinned[i] = leases[i].Unpinned;
            }

            if (callbackErrors is not null)
            {
                throw new AggregateException(callbackErrors);
            }

            await LeaseCore.WaitAsync(Task.WhenAll(unpinned), grace, cancellationToken).ConfigureAwait(false);

            bool allReleased = true;
            string pending = cancellationToken.IsCancellationRequested ? "canceled" : "timed_out";
            foreach (Task task in unpinned)
            {
                bool released = task.IsCompleted;
                allReleased &= released;
                LeaseMetrics.RecordRevocation(this, released ? "released" : pending);
            }

            if (!allReleased)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            return allReleased;
        }
        finally
        {
            lock (_gate)
            {
                _revokingAll--;
            }
        }
    }

    /// <summary>True while a <see cref="RevokeAllAsync"/> call is running: acquisitions are refused.</summary>
    internal bool IsRevokingAll => Volatile.Read(ref _revokingAll) != 0;

    /// <summary>
    /// Charges one lease of <paramref name="bytes"/>, or returns false and changes nothing.
    /// Throws <see cref="PinRevokedException"/> while the budget is revoking all its leases.
    /// </summary>
    internal bool TryCharge(long bytes, string leaseName)
    {
        ThrowIfRevokingAll(bytes, leaseName);
        int leases = Volatile.Read(ref _activeLeases);
        while (true)
        {
            if (leases >= MaxLeases)
            {
                LeaseMetrics.RecordRejection(this, "leases");
                return false;
            }

            int seen = Interlocked.CompareExchange(ref _activeLeases, leases + 1, leases);
            if (seen == leases)
            {
                break;
            }

            leases = seen;
        }

        long pinned = Interlocked.Read(ref _pinnedBytes);
        while (true)
        {
            if (bytes > MaxBytes - pinned)
            {
                Interlocked.Decrement(ref _activeLeases);
                LeaseMetrics.RecordRejection(this, "bytes");
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _pinnedBytes, pinned + bytes, pinned);
            if (seen == pinned)
            {
                return true;
            }

            pinned = seen;
        }
    }

    /// <summary>
    /// Charges one lease of <paramref name="bytes"/> or throws <see cref="PinBudgetExceededException"/>
    /// (or <see cref="PinRevokedException"/> while the budget is revoking all its leases).
    /// </summary>
    internal void Charge(long bytes, string leaseName)
    {
        if (!TryCharge(bytes, leaseName))
        {
            throw new PinBudgetExceededException(this, bytes);
        }
    }

    /// <summary>Gives back one lease of <paramref name="bytes"/>; called exactly once per successful charge.</summary>
    internal void Refund(long bytes)
    {
        Interlocked.Add(ref _pinnedBytes, -bytes);
        Interlocked.Decrement(ref _activeLeases);
    }

    /// <summary>
    /// Adds a charged lease to the budget's list, unless a <see cref="RevokeAllAsync"/> is running
    /// (then false, and the caller refunds). The check and the insertion are one step under the lock, so
    /// a lease is either in the list a revoke-all walks or refused.
    /// </summary>
    internal bool TryRegister(LeaseCore lease)
    {
        lock (_gate)
        {
            if (_revokingAll != 0)
            {
                return false;
            }

            lease.PreviousInBudget = null;
            lease.NextInBudget = _leases;
            if (_leases is not null)
            {
                _leases.PreviousInBudget = lease;
            }

            _leases = lease;
            _registered++;
            return true;
        }
    }

    /// <summary>Removes an unpinned (or never pinned) registered lease from the list and refunds its charge.</summary>
    internal void Release(LeaseCore lease)
    {
        lock (_gate)
        {
            if (lease.PreviousInBudget is null)
            {
                _leases = lease.NextInBudget;
            }
            else
            {
                lease.PreviousInBudget.NextInBudget = lease.NextInBudget;
            }

            if (lease.NextInBudget is not null)
            {
                lease.NextInBudget.PreviousInBudget = lease.PreviousInBudget;
            }

            lease.PreviousInBudget = null;
            lease.NextInBudget = null;
            _registered--;
        }

        Refund(lease.ByteLength);
    }

    private void ThrowIfRevokingAll(long bytes, string leaseName)
    {
        if (IsRevokingAll)
        {
            LeaseMetrics.RecordRejection(this, "revoking");
            throw PinRevokedException.AcquireRefused(leaseName, bytes, Name);
        }
    }
}
