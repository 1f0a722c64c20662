using System;
using System.Threading;

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
/// <para>The counters are published through the <see cref="System.Diagnostics.Metrics.Meter"/> named
/// <c>PinAnalyzers.Leases</c> (see <see cref="MeterName"/>), tagged with the budget's <see cref="Name"/>.</para>
/// </remarks>
public sealed class PinBudget
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> that publishes the counters.</summary>
    public const string MeterName = LeaseMetrics.MeterName;

    private long _pinnedBytes;
    private int _activeLeases;

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

    /// <summary>Charges one lease of <paramref name="bytes"/>, or returns false and changes nothing.</summary>
    internal bool TryCharge(long bytes)
    {
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

    /// <summary>Charges one lease of <paramref name="bytes"/> or throws <see cref="PinBudgetExceededException"/>.</summary>
    internal void Charge(long bytes)
    {
        if (!TryCharge(bytes))
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
}
