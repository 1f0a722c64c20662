using System.Runtime.InteropServices;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

/// <summary>
/// Run in the stress collection, alone: the forced compacting collections below starve the worker threads when the
/// analyzer tests compile next to them on a 2-core machine (CI saw "workers made no progress" after 10 s).
/// </summary>
[Collection(RevokeAllStressCollection.Name)]
public sealed class ConcurrencyTests
{
    /// <summary>Bound for progress under forced collections: reached in well under a second when the test runs alone.</summary>
    private static readonly TimeSpan Patient = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ScopesOnManyThreads_WhileTheOwnerRevokes_NeverSeeUnpinnedOrMovedMemory()
    {
        const int Workers = 4;
        PinBudget budget = NewBudget();
        var array = new long[Workers * 8];
        var lease = PinLease<long>.Acquire(array, budget);
        IntPtr pinnedAt = lease.Address;
        int inScope = 0, violations = 0, uses = 0, done = 0;
        string? firstViolation = null;
        void Violation(string what)
        {
            Interlocked.Increment(ref violations);
            Interlocked.CompareExchange(ref firstViolation, what, null);
        }

        // The holder lets go as soon as it is asked; in-flight scopes must still drain before the unpin.
        lease.RevocationRequested.Register(lease.Dispose);

        Thread[] workers = Enumerable.Range(0, Workers).Select(w => new Thread(() =>
        {
            long value = (long)w << 40;
            while (lease.TryEnter(out PinScope<long> scope))
            {
                Interlocked.Increment(ref inScope);
                if (!lease.IsPinned)
                {
                    Violation("a scope saw the lease unpinned");
                }

                value++;
                Marshal.WriteInt64(scope.Address, w * 8 * sizeof(long), value);
                Thread.SpinWait(20);
                if (scope.Span[w * 8] != value || array[w * 8] != value)
                {
                    Violation("a write through the address was lost");
                }

                if (AddressOf(array) != scope.Address || scope.Address != pinnedAt)
                {
                    Violation("the array moved while in scope");
                }

                Interlocked.Decrement(ref inScope);
                scope.Dispose();
                Interlocked.Increment(ref uses);
            }
        })).ToArray();

        var observer = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                // Read the pin state first: once unpinned, no scope can open, so a scope counted
                // afterwards was open while the memory was unpinned.
                bool pinned = lease.IsPinned;
                if (!pinned && Volatile.Read(ref inScope) > 0)
                {
                    Violation("unpinned while a scope was open");
                }
            }
        });

        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                Thread.Sleep(1); // a full compacting collection suspends every thread: leave the others time to run between them
            }
        });

        foreach (Thread t in workers.Append(observer).Append(collector))
        {
            t.Start();
        }

        try
        {
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref uses) >= 20_000, Patient), $"workers made no progress: {Volatile.Read(ref uses)} uses in {Patient.TotalSeconds} s");
            Assert.True(await lease.RevokeAsync(Patient).Within());
            Assert.All(workers, w => Assert.True(w.Join(Patient)));
        }
        finally
        {
            Volatile.Write(ref done, 1);
            observer.Join(Patient);
            collector.Join(Patient);
        }

        Assert.True(violations == 0, firstViolation);
        Assert.Equal(0, Volatile.Read(ref inScope));
        Assert.False(lease.IsPinned);
        Assert.True(lease.IsRevoked);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public void TightEnterExitOnManyThreads_KeepsAnExactScopeCount()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[8], budget);
        PinScope<byte> sentinel = lease.Enter();
        using var start = new Barrier(4);
        Thread[] threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < 200_000; i++)
            {
                lease.Enter().Dispose();
            }
        })).ToArray();
        foreach (Thread t in threads)
        {
            t.Start();
        }

        Assert.All(threads, t => Assert.True(t.Join(Generous)));

        // A lost increment or decrement anywhere would leave the count off by one: unpinned under the
        // sentinel scope, or never unpinned after it.
        lease.Dispose();
        Assert.True(lease.IsPinned);
        sentinel.Dispose();
        Assert.False(lease.IsPinned);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public void EnterRacingDispose_UnpinsExactlyOnce_AfterTheLastScope()
    {
        PinBudget budget = NewBudget();
        for (int round = 0; round < 200; round++)
        {
            var lease = PinLease<byte>.Acquire(new byte[64], budget);
            int inScope = 0, sawUnpinned = 0;
            using var start = new Barrier(3);
            Thread[] users = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                while (lease.TryEnter(out PinScope<byte> scope))
                {
                    Interlocked.Increment(ref inScope);
                    scope.Span[0]++;
                    if (!lease.IsPinned)
                    {
                        Interlocked.Increment(ref sawUnpinned);
                    }

                    Interlocked.Decrement(ref inScope);
                    scope.Dispose();
                }
            })).ToArray();
            foreach (Thread t in users)
            {
                t.Start();
            }

            start.SignalAndWait();
            Thread.SpinWait(round * 10);
            lease.Dispose();
            bool pinnedRightAfterDispose = lease.IsPinned;
            int inScopeAfter = Volatile.Read(ref inScope);
            foreach (Thread t in users)
            {
                Assert.True(t.Join(Generous));
            }

            Assert.Equal(0, sawUnpinned);
            Assert.False(lease.IsPinned);
            Assert.True(pinnedRightAfterDispose || inScopeAfter == 0);
            // A double unpin would refund twice and drive the counters negative.
            Assert.Equal(0, budget.PinnedBytes);
            Assert.Equal(0, budget.ActiveLeases);
        }
    }

    [Fact]
    public async Task RevokeRacingDisposeAndScopes_AlwaysEndsReleasedAndRefundedOnce()
    {
        PinBudget budget = NewBudget(maxBytes: 64 * 32);
        for (int round = 0; round < 100; round++)
        {
            var leases = Enumerable.Range(0, 8).Select(_ => PinLease<int>.Acquire(new int[16], budget)).ToArray();
            Task<bool>[] revokes = leases.Select(l => Task.Run(() => l.RevokeAsync(Generous))).ToArray();
            Task[] users = leases.Select(l => Task.Run(() =>
            {
                int i = 0;
                while (i < 50 && l.TryEnter(out PinScope<int> scope))
                {
                    scope.Span[i % 16] = i++;
                    scope.Dispose();
                }

                l.Dispose();
            })).ToArray();

            bool[] results = await Task.WhenAll(revokes).WaitAsync(Generous);
            await Task.WhenAll(users).WaitAsync(Generous);

            Assert.All(results, r => Assert.True(r));
            Assert.All(leases, l => Assert.True(l.IsRevoked));
            Assert.Equal(0, budget.PinnedBytes);
            Assert.Equal(0, budget.ActiveLeases);
        }
    }
}
