using System.Diagnostics.Metrics;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

public sealed class MetricsTests
{
    /// <summary>Collects the meter's measurements for one budget (tests run in parallel, so filter by its name).</summary>
    private sealed class BudgetMetrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _budget;
        private readonly Dictionary<string, long> _last = new();
        private readonly List<(string Instrument, long Value, Dictionary<string, object?> Tags)> _events = new();

        public BudgetMetrics(PinBudget budget)
        {
            _budget = budget.Name;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PinBudget.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var map = new Dictionary<string, object?>();
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    map[tag.Key] = tag.Value;
                }

                if (map.TryGetValue("pinanalyzers.leases.budget", out object? name) && (string?)name == _budget)
                {
                    lock (_events)
                    {
                        _last[instrument.Name] = value;
                        _events.Add((instrument.Name, value, map));
                    }
                }
            });
            _listener.Start();
        }

        public (long PinnedBytes, long Active) Observe()
        {
            _listener.RecordObservableInstruments();
            lock (_events)
            {
                return (_last["pinanalyzers.leases.pinned_bytes"], _last["pinanalyzers.leases.active"]);
            }
        }

        public long Sum(string instrument, string tag, string value)
        {
            lock (_events)
            {
                return _events.Where(e => e.Instrument == instrument && (string?)e.Tags[tag] == value).Sum(e => e.Value);
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public void PinnedBytesAndActiveLeases_AreObservable()
    {
        PinBudget budget = NewBudget();
        using var metrics = new BudgetMetrics(budget);
        Assert.Equal((0L, 0L), metrics.Observe());

        var a = PinLease<int>.Acquire(new int[100], budget);
        var b = PinLease<byte>.Allocate(24, budget);
        Assert.Equal((424L, 2L), metrics.Observe());

        a.Dispose();
        Assert.Equal((24L, 1L), metrics.Observe());
        b.Dispose();
        Assert.Equal((0L, 0L), metrics.Observe());
    }

    [Fact]
    public void Rejections_AreCountedWithTheirReason()
    {
        PinBudget budget = NewBudget(maxBytes: 10, maxLeases: 1);
        using var metrics = new BudgetMetrics(budget);

        Assert.False(PinLease<byte>.TryAcquire(new byte[11], budget, out _));
        using var held = PinLease<byte>.Acquire(new byte[1], budget);
        Assert.Throws<PinBudgetExceededException>(() => PinLease<byte>.Acquire(new byte[1], budget));
        Assert.Throws<PinBudgetExceededException>(() => PinLease<byte>.Allocate(1, budget));

        Assert.Equal(1, metrics.Sum("pinanalyzers.leases.rejected", "reason", "bytes"));
        Assert.Equal(2, metrics.Sum("pinanalyzers.leases.rejected", "reason", "leases"));
    }

    [Fact]
    public async Task Revocations_AreCountedByOutcome()
    {
        PinBudget budget = NewBudget();
        using var metrics = new BudgetMetrics(budget);
        var stubborn = PinLease<byte>.Acquire(new byte[1], budget);
        var polite = PinLease<byte>.Acquire(new byte[1], budget);
        polite.RevocationRequested.Register(polite.Dispose);
        using var cts = new CancellationTokenSource();

        Assert.False(await stubborn.RevokeAsync(TimeSpan.Zero));
        Task<bool> cancelled = stubborn.RevokeAsync(Timeout.InfiniteTimeSpan, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        Assert.True(await polite.RevokeAsync(Generous).Within());
        stubborn.Dispose();

        Assert.Equal(1, metrics.Sum("pinanalyzers.leases.revocations", "outcome", "timed_out"));
        Assert.Equal(1, metrics.Sum("pinanalyzers.leases.revocations", "outcome", "canceled"));
        Assert.Equal(1, metrics.Sum("pinanalyzers.leases.revocations", "outcome", "released"));
    }

    [Fact]
    public async Task RevokeAll_CountsEachLeaseByOutcome_AndRefusedAcquisitionsAsRevoking()
    {
        PinBudget budget = NewBudget();
        using var metrics = new BudgetMetrics(budget);
        var polite = Enumerable.Range(0, 3).Select(_ => PinLease<byte>.Acquire(new byte[1], budget)).ToArray();
        foreach (PinLease<byte> lease in polite)
        {
            lease.RevocationRequested.Register(lease.Dispose);
        }

        var stubborn = PinLease<byte>.Acquire(new byte[1], budget);
        Task<bool> revoke = budget.RevokeAllAsync(Timeout.InfiniteTimeSpan);
        Assert.Throws<PinRevokedException>(() => PinLease<byte>.Acquire(new byte[1], budget));
        Assert.Throws<PinRevokedException>(() => PinLease<byte>.TryAcquire(new byte[1], budget, out _));
        Assert.False(await budget.RevokeAllAsync(TimeSpan.Zero)); // only the stubborn lease is left, and it times out
        stubborn.Dispose();
        Assert.True(await revoke.Within());

        Assert.Equal(4, metrics.Sum("pinanalyzers.leases.revocations", "outcome", "released"));
        Assert.Equal(1, metrics.Sum("pinanalyzers.leases.revocations", "outcome", "timed_out"));
        Assert.Equal(2, metrics.Sum("pinanalyzers.leases.rejected", "reason", "revoking"));
        Assert.Equal(0, metrics.Sum("pinanalyzers.leases.rejected", "reason", "bytes"));
    }
}
