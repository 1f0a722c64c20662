using System.Collections.Concurrent;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

/// <summary>Runs the stress tests alone: a forced compacting collection in a loop is cheap on a small heap and
/// very slow next to the analyzer tests' compilations, which starved the holder threads on a 2-core CI machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RevokeAllStressCollection
{
    public const string Name = "revoke-all stress";
}

/// <summary><see cref="PinBudget.RevokeAllAsync"/> against holders and acquisitions on other threads.</summary>
[Collection(RevokeAllStressCollection.Name)]
public sealed class RevokeAllConcurrencyTests
{
    /// <summary>Bound for progress under forced collections: reached in well under a second when the test runs alone.</summary>
    private static readonly TimeSpan Patient = TimeSpan.FromSeconds(60);

    private sealed record Held(PinLease<long> Lease, long[] Array, bool Stubborn);

    [Fact]
    public async Task HoldersOnManyThreads_SomeNeverLetGo_AcquisitionsRacingTheRevoke_UnderForcedCollections()
    {
        const int Holders = 4;
        PinBudget budget = NewBudget();
        PinBudget otherBudget = NewBudget();
        using var bystander = PinLease<long>.Acquire(new long[4], otherBudget);
        // A holder that never lets go is there from the start, so the revoke cannot finish before every
        // holder thread has tried to acquire again and been refused.
        var anchorArray = new long[8];
        var held = new ConcurrentQueue<Held>();
        held.Enqueue(new Held(PinLease<long>.Acquire(anchorArray, budget), anchorArray, Stubborn: true));
        int violations = 0, acquired = 0, refused = 0, done = 0;
        string? firstViolation = null;
        Exception? holderError = null;
        void Violation(string what)
        {
            Interlocked.Increment(ref violations);
            Interlocked.CompareExchange(ref firstViolation, what, null);
        }

        Thread[] holders = Enumerable.Range(0, Holders).Select(h => new Thread(() =>
        {
            try
            {
                for (int n = 0; ; n++)
                {
                    var array = new long[8];
                    PinLease<long> lease;
                    try
                    {
                        lease = (n % 3) switch
                        {
                            0 => PinLease<long>.Acquire(array, budget),
                            1 => PinLease<long>.Acquire(array.AsMemory(), budget),
                            _ => PinLease<long>.Allocate(8, budget),
                        };
                    }
                    catch (PinRevokedException)
                    {
                        Interlocked.Increment(ref refused);
                        return; // the owner is taking everything back: this holder is done
                    }

                    array = lease.Array ?? array;
                    bool stubborn = h % 2 == 0 && n % 16 == 5;
                    held.Enqueue(new Held(lease, array, stubborn));
                    Interlocked.Increment(ref acquired);
                    if (!stubborn)
                    {
                        lease.RevocationRequested.Register(lease.Dispose);
                    }

                    for (int use = 0; use < 25 && lease.TryEnter(out PinScope<long> scope); use++)
                    {
                        try
                        {
                            if (!lease.IsPinned)
                            {
                                Violation("a scope saw its lease unpinned");
                            }

                            long value = ((long)h << 48) | ((long)n << 16) | (long)use;
                            scope.Span[use % 8] = value;
                            Thread.SpinWait(10);
                            if (array[use % 8] != value)
                            {
                                Violation("a write through a scope did not land in the array");
                            }

                            if (AddressOf(array) != scope.Address)
                            {
                                Violation("the array moved while a scope was open");
                            }
                        }
                        finally
                        {
                            scope.Dispose();
                        }
                    }

                    if (!stubborn && n % 2 == 0)
                    {
                        lease.Dispose(); // half of them end the ordinary way; the rest stay until revoked
                    }
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref holderError, e, null);
            }
        })).ToArray();

        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                Thread.Sleep(1); // a full compacting collection suspends every thread: leave the others time to run between them
            }
        });

        foreach (Thread t in holders.Append(collector))
        {
            t.Start();
        }

        Held[] all;
        Held[] stubborn;
        try
        {
            Assert.True(
                SpinWait.SpinUntil(() => Volatile.Read(ref acquired) >= 1000 || Volatile.Read(ref holderError) is not null, Patient),
                $"the holders made no progress: {Volatile.Read(ref acquired)} acquisitions in {Patient}");
            Task<bool> revoke = budget.RevokeAllAsync(Timeout.InfiniteTimeSpan);

            Assert.All(holders, t => Assert.True(t.Join(Patient), $"a holder thread was never refused ({Volatile.Read(ref refused)} of {Holders} were)"));
            Assert.Null(holderError);
            Assert.Equal(Holders, refused);
            await AssertPending(revoke); // the stubborn holders keep it waiting
            Assert.Throws<PinRevokedException>(() => PinLease<long>.Allocate(1, budget));

            all = held.ToArray();
            stubborn = all.Where(x => x.Stubborn).ToArray();
            // Every lease that is still pinned was asked for back: none slipped past the revoke.
            Assert.All(all, x => Assert.True(!x.Lease.IsPinned || x.Lease.RevocationRequested.IsCancellationRequested));
            // The cooperative ones let go (and their scopes drained); the stubborn ones keep their memory.
            Assert.All(all.Where(x => !x.Stubborn), x => Assert.False(x.Lease.IsPinned));
            Assert.All(stubborn, x =>
            {
                Assert.True(x.Lease.IsPinned);
                Assert.Throws<PinRevokedException>(() => x.Lease.Address);
                Assert.False(x.Lease.TryEnter(out _));
            });
            Assert.Equal(stubborn.Length, budget.ActiveLeases);
            Assert.Equal(stubborn.Length * 8L * sizeof(long), budget.PinnedBytes);

            // The stubborn holders let go at last, from several threads, while collections go on.
            Parallel.ForEach(stubborn, x => x.Lease.Dispose());
            Assert.True(await revoke.Within());
        }
        finally
        {
            Volatile.Write(ref done, 1);
            collector.Join(Generous);
        }

        Assert.True(violations == 0, firstViolation);
        Assert.True(stubborn.Length > 1, "no holder thread kept a lease");
        Assert.All(all, x => Assert.False(x.Lease.IsPinned));
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
        Assert.True(bystander.IsPinned);
        Assert.False(bystander.RevocationRequested.IsCancellationRequested);
        using var after = PinLease<long>.Allocate(8, budget); // the budget is usable again
        Assert.False(after.RevocationRequested.IsCancellationRequested);
    }

    [Fact]
    public async Task RevokeAllRepeatedly_WhileLeasesComeAndGoOnOtherThreads_NeverLosesALease()
    {
        const int Churners = 3;
        const int Rounds = 30;
        PinBudget budget = NewBudget();
        var everything = new ConcurrentQueue<PinLease<byte>>();
        int stop = 0, acquired = 0;
        Exception? churnError = null;

        Thread[] churners = Enumerable.Range(0, Churners).Select(c => new Thread(() =>
        {
            try
            {
                for (int i = 0; Volatile.Read(ref stop) == 0; i++)
                {
                    PinLease<byte> lease;
                    try
                    {
                        lease = i % 2 == 0 ? PinLease<byte>.Acquire(new byte[16], budget) : PinLease<byte>.Allocate(16, budget);
                    }
                    catch (PinRevokedException)
                    {
                        continue; // a revoke-all is running; try again
                    }

                    everything.Enqueue(lease);
                    Interlocked.Increment(ref acquired);
                    lease.RevocationRequested.Register(lease.Dispose);
                    if (lease.TryEnter(out PinScope<byte> scope))
                    {
                        scope.Span[c]++;
                        scope.Dispose();
                    }

                    if (i % 3 != 0)
                    {
                        lease.Dispose(); // two in three end at once; the others stay until they are revoked
                    }
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref churnError, e, null);
            }
        })).ToArray();
        foreach (Thread t in churners)
        {
            t.Start();
        }

        try
        {
            for (int round = 1; round <= Rounds; round++)
            {
                int target = round * 50;
                Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref acquired) >= target, Generous), "no progress");
                // Every holder lets go when asked: each call must get every lease it saw back.
                Assert.True(await budget.RevokeAllAsync(Generous).Within(), $"round {round}");
            }
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            Assert.All(churners, t => Assert.True(t.Join(Generous)));
        }

        Assert.Null(churnError);
        Assert.True(await budget.RevokeAllAsync(Generous).Within());
        // A lease dropped from (or never added to) the budget's list would still be pinned here.
        Assert.All(everything, lease => Assert.False(lease.IsPinned));
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }
}
