using System.IO.MemoryMappedFiles;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

/// <summary><see cref="PinBudget.RevokeAllAsync"/>: one call gets every lease charged to a budget back.</summary>
public sealed class RevokeAllTests : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);

    private readonly string _directory = Directory.CreateTempSubdirectory("pin-leases-revoke-all-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (MemoryMappedFile File, MemoryMappedViewAccessor View) MapNewFile(long length)
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".dat");
        using (var stream = new FileStream(path, FileMode.CreateNew))
        {
            stream.SetLength(length);
        }

        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        return (file, file.CreateViewAccessor(0, length));
    }

    [Fact]
    public async Task EmptyBudget_ReturnsTrueAtOnce()
    {
        PinBudget budget = NewBudget();

        Task<bool> revoke = budget.RevokeAllAsync(TimeSpan.Zero);

        Assert.True(revoke.IsCompletedSuccessfully);
        Assert.True(await revoke);
        using var lease = PinLease<byte>.Acquire(new byte[1], budget); // and the budget is usable afterwards
    }

    [Fact]
    public async Task EveryKindOfLease_IsRevoked_UnpinnedAndRefunded_OtherBudgetsUntouched()
    {
        PinBudget budget = NewBudget();
        PinBudget otherBudget = NewBudget();
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = MapNewFile(8192);
        using (file)
        using (view)
        using (var bystander = PinLease<byte>.Acquire(new byte[10], otherBudget))
        {
            var array = PinLease<int>.Acquire(new int[4], budget);
            var allocated = PinLease<byte>.Allocate(100, budget);
            var memory = PinLease<long>.Acquire(new long[2].AsMemory(), budget);
            var mapped = MappedViewLease.Acquire(view, budget);
            var handle = view.SafeMemoryMappedViewHandle;
            array.RevocationRequested.Register(array.Dispose);
            allocated.RevocationRequested.Register(allocated.Dispose);
            memory.RevocationRequested.Register(memory.Dispose);
            mapped.RevocationRequested.Register(mapped.Dispose);
            view.Dispose(); // only the lease holds the mapping now
            Assert.Equal(16 + 100 + 16 + 8192, budget.PinnedBytes);

            Assert.True(await budget.RevokeAllAsync(Generous).Within());

            Assert.True(array.IsRevoked);
            Assert.True(allocated.IsRevoked);
            Assert.True(memory.IsRevoked);
            Assert.True(mapped.IsRevoked);
            Assert.True(handle.IsClosed);
            Assert.Equal(0, budget.PinnedBytes);
            Assert.Equal(0, budget.ActiveLeases);
            Assert.False(bystander.RevocationRequested.IsCancellationRequested);
            Assert.True(bystander.IsPinned);
            Assert.Equal(10, otherBudget.PinnedBytes);
        }
    }

    [Fact]
    public async Task LeaseAlreadyUnpinned_IsNotAskedAgain()
    {
        PinBudget budget = NewBudget();
        var gone = PinLease<byte>.Acquire(new byte[8], budget);
        gone.Dispose();

        Assert.True(await budget.RevokeAllAsync(TimeSpan.Zero));

        Assert.False(gone.RevocationRequested.IsCancellationRequested);
        Assert.Throws<ObjectDisposedException>(() => gone.Address); // disposed without any revocation
    }

    [Fact]
    public async Task HolderThatNeverLetsGo_ReturnsFalse_ItsMemoryStaysPinnedAndCharged_OthersAreReleased()
    {
        PinBudget budget = NewBudget();
        var polite = PinLease<byte>.Acquire(new byte[10], budget);
        polite.RevocationRequested.Register(polite.Dispose);
        var stubborn = PinLease<byte>.Acquire(new byte[32], budget);

        Assert.False(await budget.RevokeAllAsync(Short).Within());

        Assert.True(polite.IsRevoked);
        Assert.True(stubborn.IsPinned);
        Assert.True(stubborn.RevocationRequested.IsCancellationRequested);
        Assert.Throws<PinRevokedException>(() => stubborn.Enter().Dispose());
        Assert.Equal(32, budget.PinnedBytes);
        Assert.Equal(1, budget.ActiveLeases);

        stubborn.Dispose(); // late, but it lets go: unpinned now
        Assert.False(stubborn.IsPinned);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.True(await budget.RevokeAllAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task WaitsForScopesInFlight_EvenAfterTheHoldersDisposed()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[16], budget);
        lease.RevocationRequested.Register(lease.Dispose);
        using var inFlight = new InFlightUse(entered =>
        {
            using PinScope<byte> scope = lease.Enter();
            entered();
            scope.Span[3] = 7; // after the revocation was requested: still safe, still pinned
        });

        Task<bool> revoke = budget.RevokeAllAsync(Generous);

        await AssertPending(revoke);
        Assert.True(lease.IsPinned);
        inFlight.Exit();
        Assert.True(await revoke.Within());
        Assert.Equal(7, lease.Array![3]);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public async Task AcquisitionsWhileItRuns_AreRefusedWithPinRevoked_NothingPinned_ThenTheBudgetIsUsableAgain()
    {
        PinBudget budget = NewBudget(name: "per-file");
        var stubborn = PinLease<byte>.Acquire(new byte[8], budget);
        Task<bool> revoke = budget.RevokeAllAsync(Timeout.InfiniteTimeSpan);
        await AssertPending(revoke);
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = MapNewFile(4096);
        using (file)
        using (view)
        using (var memory = new GatedMemoryManager(16))
        {
            memory.AllowPin.Set();
            var refused = new List<PinRevokedException>
            {
                Assert.Throws<PinRevokedException>(() => PinLease<byte>.Acquire(new byte[4], budget)),
                Assert.Throws<PinRevokedException>(() => PinLease<byte>.TryAcquire(new byte[4], budget, out _)),
                Assert.Throws<PinRevokedException>(() => PinLease<byte>.Acquire(memory.Memory, budget)),
                Assert.Throws<PinRevokedException>(() => PinLease<byte>.TryAcquire(memory.Memory, budget, out _)),
                Assert.Throws<PinRevokedException>(() => PinLease<byte>.Allocate(4, budget)),
                Assert.Throws<PinRevokedException>(() => MappedViewLease.Acquire(view, budget)),
                Assert.Throws<PinRevokedException>(() => MappedViewLease.TryAcquire(view, budget, out _)),
            };

            Assert.All(refused, e => Assert.Contains($"the pin budget '{budget.Name}' is revoking all its leases", e.Message));
            Assert.Equal("MappedViewLease", refused[^1].LeaseName);
            Assert.Equal(4096, refused[^1].ByteLength);
            Assert.Equal(0, memory.Pins);
            Assert.Equal(8, budget.PinnedBytes);
            Assert.Equal(1, budget.ActiveLeases);
            Assert.False(revoke.IsCompleted);

            using (PinLease<byte>.Acquire(new byte[4], NewBudget()))
            {
                // another budget is not affected
            }

            stubborn.Dispose();
            Assert.True(await revoke.Within());

            // Completed: the budget is a limit and a grouping, not a lifetime. New leases are ordinary leases.
            using var again = PinLease<byte>.Acquire(memory.Memory, budget);
            Assert.False(again.RevocationRequested.IsCancellationRequested);
            using (again.Enter())
            {
                Assert.Equal(1, memory.Pins);
            }
        }
    }

    [Fact]
    public async Task AcquisitionInProgress_WhenItStarts_IsRevokedToo_AndUnpinnedBeforeItReturns()
    {
        PinBudget budget = NewBudget();
        using var memory = new GatedMemoryManager(64);
        Task<PinLease<byte>> acquiring = Task.Run(() => PinLease<byte>.Acquire(memory.Memory, budget));
        Assert.True(memory.PinEntered.Wait(Generous));
        Assert.Equal(64, budget.PinnedBytes); // charged and registered, being pinned

        Task<bool> revoke = budget.RevokeAllAsync(Timeout.InfiniteTimeSpan);
        await AssertPending(revoke); // it waits for the lease that is being acquired
        memory.AllowPin.Set();

        var refused = await Assert.ThrowsAsync<PinRevokedException>(() => acquiring.WaitAsync(Generous));
        Assert.Contains("revoked while it was being acquired", refused.Message);
        Assert.True(await revoke.Within());
        Assert.Equal(1, memory.Pins);
        Assert.Equal(1, memory.Unpins); // no holder ever saw it: unpinned at once
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public async Task AcquisitionInProgress_ThatFailsToPin_DoesNotHoldUpTheRevocation()
    {
        PinBudget budget = NewBudget();
        using var memory = new GatedMemoryManager(64) { PinFailure = new IOException("device gone") };
        Task<PinLease<byte>> acquiring = Task.Run(() => PinLease<byte>.Acquire(memory.Memory, budget));
        Assert.True(memory.PinEntered.Wait(Generous));

        Task<bool> revoke = budget.RevokeAllAsync(Timeout.InfiniteTimeSpan);
        await AssertPending(revoke);
        memory.AllowPin.Set();

        await Assert.ThrowsAsync<IOException>(() => acquiring.WaitAsync(Generous));
        Assert.True(await revoke.Within());
        Assert.Equal(0, memory.Pins);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public async Task CancelledWait_ThrowsOperationCanceled_NothingIsUnpinned_TheRevocationStands_AcquisitionsResume()
    {
        PinBudget budget = NewBudget();
        var stubborn = PinLease<byte>.Acquire(new byte[24], budget);
        using var cts = new CancellationTokenSource();
        Task<bool> revoke = budget.RevokeAllAsync(Timeout.InfiniteTimeSpan, cts.Token);
        await AssertPending(revoke);

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => revoke.Within());
        Assert.True(revoke.IsCanceled);
        Assert.True(stubborn.IsPinned); // a holder that may still use the memory keeps it
        Assert.Equal(24, budget.PinnedBytes);
        Assert.True(stubborn.RevocationRequested.IsCancellationRequested); // it was told; that cannot be taken back
        Assert.Throws<PinRevokedException>(() => stubborn.Address);
        using (var next = PinLease<byte>.Acquire(new byte[1], budget))
        {
            Assert.False(next.RevocationRequested.IsCancellationRequested);
        }

        stubborn.Dispose();
        Assert.Equal(0, budget.PinnedBytes);
        Assert.True(stubborn.IsRevoked);
    }

    [Fact]
    public async Task TokenCancelledBeforeTheCall_AsksNothing_RefusesNothing()
    {
        PinBudget budget = NewBudget();
        using var lease = PinLease<byte>.Acquire(new byte[8], budget);

        Task<bool> revoke = budget.RevokeAllAsync(Generous, new CancellationToken(canceled: true));

        Assert.True(revoke.IsCanceled);
        Assert.False(lease.RevocationRequested.IsCancellationRequested);
        using var another = PinLease<byte>.Acquire(new byte[8], budget);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => revoke);
    }

    [Fact]
    public void InvalidGrace_ThrowsAtOnce_AndAsksNothing()
    {
        PinBudget budget = NewBudget();
        using var lease = PinLease<byte>.Acquire(new byte[8], budget);

        Assert.Throws<ArgumentOutOfRangeException>("grace", () => { _ = budget.RevokeAllAsync(TimeSpan.FromMilliseconds(-2)); });
        Assert.Throws<ArgumentOutOfRangeException>("grace", () => { _ = budget.RevokeAllAsync(TimeSpan.FromDays(30)); });

        Assert.False(lease.RevocationRequested.IsCancellationRequested);
        using var another = PinLease<byte>.Acquire(new byte[8], budget);
    }

    [Fact]
    public async Task ThrowingHolderCallback_EveryOtherHolderIsStillAsked_TheCallFaults_TheRevocationsStand()
    {
        PinBudget budget = NewBudget();
        var before = PinLease<byte>.Acquire(new byte[1], budget);
        var buggy = PinLease<byte>.Acquire(new byte[2], budget);
        var after = PinLease<byte>.Acquire(new byte[4], budget);
        before.RevocationRequested.Register(before.Dispose);
        buggy.RevocationRequested.Register(() => throw new FormatException("holder bug"));
        after.RevocationRequested.Register(after.Dispose);

        var ex = await Assert.ThrowsAsync<AggregateException>(() => budget.RevokeAllAsync(Generous));

        Assert.IsType<FormatException>(Assert.Single(ex.InnerExceptions));
        Assert.True(before.IsRevoked);
        Assert.True(after.IsRevoked);
        Assert.Throws<PinRevokedException>(() => buggy.Address);
        Assert.Equal(2, budget.PinnedBytes);
        using (var next = PinLease<byte>.Acquire(new byte[1], budget))
        {
            // the faulted call no longer refuses acquisitions
        }

        buggy.Dispose();
        Assert.True(await budget.RevokeAllAsync(TimeSpan.Zero));
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public async Task ConcurrentCalls_AllReturnTrue_EachHolderIsAskedOnce()
    {
        PinBudget budget = NewBudget();
        int asked = 0;
        var leases = Enumerable.Range(0, 16).Select(_ => PinLease<int>.Acquire(new int[8], budget)).ToArray();
        foreach (PinLease<int> lease in leases)
        {
            lease.RevocationRequested.Register(() => Interlocked.Increment(ref asked));
        }

        Task<bool>[] calls = Enumerable.Range(0, 4).Select(_ => Task.Run(() => budget.RevokeAllAsync(Generous))).ToArray();
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref asked) == leases.Length, Generous));
        Assert.Throws<PinRevokedException>(() => PinLease<int>.Acquire(new int[1], budget));

        Parallel.ForEach(leases, lease => lease.Dispose());

        bool[] results = await Task.WhenAll(calls).WaitAsync(Generous);
        Assert.All(results, Assert.True);
        Assert.Equal(leases.Length, asked);
        Assert.All(leases, lease => Assert.True(lease.IsRevoked));
        using var again = PinLease<int>.Acquire(new int[1], budget);
        Assert.Equal(1, budget.ActiveLeases);
    }
}
