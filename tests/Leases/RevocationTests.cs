using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

public sealed class RevocationTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Revoke_HolderDisposesOnTheToken_ReturnsTrue_UnpinsAndRefunds()
    {
        PinBudget budget = NewBudget();
        var array = new byte[128];
        var lease = PinLease<byte>.Acquire(array, budget);
        int callbacks = 0;
        lease.RevocationRequested.Register(() =>
        {
            Interlocked.Increment(ref callbacks);
            Assert.Throws<PinRevokedException>(() => lease.Address); // already refused when the holder hears of it
            lease.Dispose();
        });

        bool released = await lease.RevokeAsync(Generous).Within();

        Assert.True(released);
        Assert.Equal(1, callbacks);
        Assert.True(lease.IsRevoked);
        Assert.False(lease.IsPinned);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public async Task AfterRevocationIsRequested_EnterAndAddressThrowRevoked_TryEnterReturnsFalse()
    {
        var lease = PinLease<int>.Acquire(new int[4], NewBudget(name: "revoked-budget"));

        Assert.False(await lease.RevokeAsync(TimeSpan.Zero));

        Assert.True(lease.RevocationRequested.IsCancellationRequested);
        var ex = Assert.Throws<PinRevokedException>(() => lease.Enter().Dispose());
        Assert.IsAssignableFrom<InvalidOperationException>(ex);
        Assert.Contains("PinLease<Int32> of 16 bytes has been revoked", ex.Message);
        Assert.Equal(16, ex.ByteLength);
        Assert.Throws<PinRevokedException>(() => lease.Address);
        Assert.False(lease.TryEnter(out PinScope<int> scope));
        AssertClosed(scope);
        Assert.True(lease.IsPinned);

        lease.Dispose();
        Assert.Throws<PinRevokedException>(() => lease.Enter().Dispose()); // revocation is reported, not the disposal it asked for
    }

    [Fact]
    public async Task AfterTheHolderDisposedInResponse_EnterTryEnterAndAddress_StillReportRevocation()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<long>.Acquire(new long[4], budget);
        lease.RevocationRequested.Register(lease.Dispose);

        Assert.True(await lease.RevokeAsync(Generous).Within());

        Assert.True(lease.IsRevoked);
        var enter = Assert.Throws<PinRevokedException>(() => lease.Enter().Dispose());
        Assert.Equal("PinLease<Int64>", enter.LeaseName);
        Assert.Equal(32, enter.ByteLength);
        Assert.Throws<PinRevokedException>(() => lease.Address);
        Assert.False(lease.TryEnter(out PinScope<long> scope));
        AssertClosed(scope);
    }

    [Fact]
    public async Task DisposedFirst_ThenRevoked_ReportsRevocation()
    {
        var lease = PinLease<byte>.Acquire(new byte[4], NewBudget());
        lease.Dispose();
        Assert.Throws<ObjectDisposedException>(() => lease.Address); // no revocation yet: the holder's own dispose

        Assert.True(await lease.RevokeAsync(TimeSpan.Zero));

        Assert.Throws<PinRevokedException>(() => lease.Address);
        Assert.Throws<PinRevokedException>(() => lease.Enter().Dispose());
        Assert.False(lease.TryEnter(out _));
    }

    [Fact]
    public async Task DisposedWhileAScopeIsOpen_AfterRevocation_ReportsRevocation_WhileStillPinned()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[4], budget);
        PinScope<byte> scope = lease.Enter();
        Task<bool> revoke = lease.RevokeAsync(Generous);
        lease.Dispose();

        Assert.True(lease.IsPinned); // the open scope keeps it pinned
        Assert.Throws<PinRevokedException>(() => lease.Address);
        Assert.Throws<PinRevokedException>(() => lease.Enter().Dispose());
        scope.Dispose();
        Assert.True(await revoke.Within());
        Assert.Throws<PinRevokedException>(() => lease.Address);
    }

    [Fact]
    public async Task Revoke_WaitsForOpenScopes_EvenAfterTheHolderDisposed()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[16], budget);
        lease.RevocationRequested.Register(lease.Dispose);
        using var inFlight = new InFlightUse(entered =>
        {
            using PinScope<byte> scope = lease.Enter();
            entered();
            scope.Span[15] = 1; // still safe to touch after the revocation was requested
        });

        Task<bool> revoke = lease.RevokeAsync(Generous);

        await AssertPending(revoke);
        Assert.True(lease.IsPinned);
        Assert.Equal(16, budget.PinnedBytes);

        inFlight.Exit();

        Assert.True(await revoke.Within());
        Assert.False(lease.IsPinned);
        Assert.Equal(0, budget.PinnedBytes);
    }

    [Fact]
    public async Task Revoke_WaitsForTheHolderToDispose_AfterScopesHaveDrained()
    {
        var lease = PinLease<byte>.Acquire(new byte[16], NewBudget());

        Task<bool> revoke = lease.RevokeAsync(Generous);

        await AssertPending(revoke);
        Assert.True(lease.IsPinned);
        lease.Dispose();
        Assert.True(await revoke.Within());
        Assert.True(lease.IsRevoked);
    }

    [Fact]
    public async Task HolderThatNeverDisposes_RevokeReturnsFalse_MemoryStaysPinnedAndCharged()
    {
        PinBudget budget = NewBudget();
        var array = new long[32];
        var lease = PinLease<long>.Acquire(array, budget);
        IntPtr address = AddressOf(array);

        bool released = await lease.RevokeAsync(Short).Within();

        Assert.False(released);
        Assert.False(lease.IsRevoked);
        Assert.True(lease.IsPinned);
        Assert.Equal(256, budget.PinnedBytes);
        Assert.Equal(1, budget.ActiveLeases);
        CompactingCollect();
        Assert.Equal(address, AddressOf(array)); // still really pinned

        // The holder lets go late: now it is unpinned and refunded, and a new revoke reports it.
        lease.Dispose();
        Assert.False(lease.IsPinned);
        Assert.True(lease.IsRevoked);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
        Assert.True(await lease.RevokeAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task GraceExpiresWhileAScopeIsOpen_ReturnsFalse_UnpinsWhenTheLastScopeExits()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[8], budget);
        using var slow = new InFlightUse(entered =>
        {
            using PinScope<byte> scope = lease.Enter();
            entered();
            scope.Span[7] = 1;
        });
        lease.RevocationRequested.Register(lease.Dispose);

        Assert.False(await lease.RevokeAsync(Short).Within());

        Assert.True(lease.IsPinned);
        Assert.Equal(8, budget.PinnedBytes);
        slow.Exit();
        Assert.False(lease.IsPinned);
        Assert.True(lease.IsRevoked);
        Assert.Equal(0, budget.PinnedBytes);
    }

    [Fact]
    public async Task CancelledWait_ThrowsOperationCanceled_WithoutUnpinning()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[8], budget);
        using var cts = new CancellationTokenSource();

        Task<bool> revoke = lease.RevokeAsync(Timeout.InfiniteTimeSpan, cts.Token);
        await AssertPending(revoke);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => revoke.Within());
        Assert.True(lease.IsPinned);
        Assert.Equal(8, budget.PinnedBytes);
        Assert.True(lease.RevocationRequested.IsCancellationRequested); // the request itself stands

        lease.Dispose();
        Assert.False(lease.IsPinned);
        Assert.Equal(0, budget.PinnedBytes);
    }

    [Fact]
    public async Task TokenCancelledBeforeTheCall_DoesNothing()
    {
        var lease = PinLease<byte>.Acquire(new byte[8], NewBudget());
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lease.RevokeAsync(Generous, cts.Token));

        Assert.False(lease.RevocationRequested.IsCancellationRequested);
        using PinScope<byte> scope = lease.Enter();
        lease.Dispose();
    }

    [Fact]
    public async Task RevokeTwice_AndAfterDispose_IsSafe()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[8], budget);
        int callbacks = 0;
        lease.RevocationRequested.Register(() => Interlocked.Increment(ref callbacks));

        Assert.False(await lease.RevokeAsync(TimeSpan.Zero));
        Assert.False(await lease.RevokeAsync(TimeSpan.Zero));
        lease.Dispose();
        lease.Dispose();
        Assert.True(await lease.RevokeAsync(TimeSpan.Zero));
        Assert.True(await lease.RevokeAsync(Generous));

        Assert.Equal(1, callbacks);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);

        // Revoking a lease that was simply disposed earlier reports it released.
        var disposed = PinLease<byte>.Acquire(new byte[8], budget);
        disposed.Dispose();
        Assert.True(await disposed.RevokeAsync(TimeSpan.Zero));
        Assert.True(disposed.IsRevoked);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public async Task ConcurrentRevokes_AllReturnTrue_CallbackRunsOnce_RefundOnce()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<int>.Acquire(new int[16], budget);
        int callbacks = 0;
        lease.RevocationRequested.Register(() => Interlocked.Increment(ref callbacks));
        using var start = new Barrier(8);
        var revokes = new Task<bool>[8];
        Thread[] threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            start.SignalAndWait(Generous);
            revokes[i] = lease.RevokeAsync(Generous);
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(Generous));
        }

        await AssertPending(Task.WhenAll(revokes));
        Assert.Equal(1, callbacks);
        Assert.True(lease.IsPinned);

        lease.Dispose();
        bool[] results = await Task.WhenAll(revokes).WaitAsync(Generous);

        Assert.All(results, r => Assert.True(r));
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public async Task ThrowingHolderCallback_FaultsTheRevoke_TheRevocationStands()
    {
        var lease = PinLease<byte>.Acquire(new byte[8], NewBudget());
        lease.RevocationRequested.Register(() => throw new FormatException("holder bug"));

        var ex = await Assert.ThrowsAsync<AggregateException>(() => lease.RevokeAsync(Generous));

        Assert.IsType<FormatException>(Assert.Single(ex.InnerExceptions));
        Assert.Throws<PinRevokedException>(() => lease.Address);
        lease.Dispose();
        Assert.True(await lease.RevokeAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task AllocatedLease_RevokesLikeAnyOther()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<float>.Allocate(64, budget);
        lease.RevocationRequested.Register(lease.Dispose);

        Assert.True(await lease.RevokeAsync(Generous).Within());
        Assert.True(lease.IsRevoked);
        Assert.Equal(0, budget.PinnedBytes);
    }
}
