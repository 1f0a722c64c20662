using System.Runtime.InteropServices;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

public sealed class PinScopeTests
{
    [Fact]
    public void Scope_ExposesAddressAndSpanOverThePinnedArray()
    {
        var array = new int[8];
        using var lease = PinLease<int>.Acquire(array, NewBudget());

        using (PinScope<int> scope = lease.Enter())
        {
            Assert.Equal(lease.Address, scope.Address);
            Assert.Equal(8, scope.Length);
            scope.Span[3] = 33;
            Marshal.WriteInt32(scope.Address, 4 * 7, 77);
        }

        Assert.Equal(33, array[3]);
        Assert.Equal(77, array[7]);
    }

    [Fact]
    public void DisposeWithOpenScope_StaysPinnedUntilTheScopeExits()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[32], budget);
        PinScope<byte> scope = lease.Enter();

        lease.Dispose();

        Assert.True(lease.IsPinned);
        Assert.Equal(32, budget.PinnedBytes);
        scope.Span[0] = 1; // still valid: the scope holds the pin
        Assert.Throws<ObjectDisposedException>(() => lease.Enter().Dispose());

        scope.Dispose();

        Assert.False(lease.IsPinned);
        Assert.False(lease.IsRevoked);
        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public void NestedScopes_UnpinOnlyAfterTheOutermostExits()
    {
        var lease = PinLease<byte>.Acquire(new byte[4], NewBudget());
        PinScope<byte> outer = lease.Enter();
        PinScope<byte> inner = lease.Enter();
        lease.Dispose();

        inner.Dispose();
        Assert.True(lease.IsPinned);
        outer.Dispose();
        Assert.False(lease.IsPinned);
    }

    [Fact]
    public void ScopeDisposedTwice_DoesNotGiveBackAnotherScopesCount()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[8], budget);
        PinScope<byte> a = lease.Enter();
        PinScope<byte> b = lease.Enter();

        a.Dispose();
        a.Dispose();
        lease.Dispose();

        Assert.True(lease.IsPinned); // b is still open
        Assert.Equal(8, budget.PinnedBytes);
        b.Dispose();
        Assert.False(lease.IsPinned);
        Assert.Equal(0, budget.PinnedBytes);
    }

    [Fact]
    public void CopyOfAScope_DisposedAfterTheOriginal_IsANoOp()
    {
        PinBudget budget = NewBudget();
        var lease = PinLease<byte>.Acquire(new byte[8], budget);
        PinScope<byte> a = lease.Enter();
        PinScope<byte> b = lease.Enter();
        PinScope<byte> copyOfA = a;

        a.Dispose();
        copyOfA.Dispose(); // the same scope: must not close b's share
        lease.Dispose();

        Assert.True(lease.IsPinned);
        AssertClosed(copyOfA);
        AssertClosed(a);
        b.Span[7] = 1;

        b.Dispose();
        Assert.False(lease.IsPinned);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public void ExplicitDisposeInsideUsing_ClosesOnce()
    {
        var lease = PinLease<byte>.Acquire(new byte[8], NewBudget());
        PinScope<byte> other = lease.Enter();
        using (PinScope<byte> scope = lease.Enter())
        {
            scope.Dispose(); // the using disposes it again at the end
        }

        lease.Dispose();
        Assert.True(lease.IsPinned);
        other.Dispose();
        Assert.False(lease.IsPinned);
    }

    [Fact]
    public void ScopeTicketsAreReused_StaleCopiesOfARecycledTicketStayClosed()
    {
        var lease = PinLease<byte>.Acquire(new byte[8], NewBudget());
        PinScope<byte> first = lease.Enter();
        PinScope<byte> staleCopy = first;
        first.Dispose();

        // The next scope on this thread reuses the ticket the first one released.
        PinScope<byte> second = lease.Enter();
        staleCopy.Dispose();
        AssertClosed(staleCopy);
        lease.Dispose();

        Assert.True(lease.IsPinned);
        second.Span[0] = 5;
        second.Dispose();
        Assert.False(lease.IsPinned);
    }

    [Fact]
    public void DefaultScope_IsClosed()
    {
        PinScope<int> scope = default;
        scope.Dispose();
        Assert.Equal(0, scope.Length);
        AssertClosed(scope);

        MappedViewScope view = default;
        view.Dispose();
        Assert.Equal(0, view.Length);
        AssertClosed(view);
    }

    [Fact]
    public void EnterAndExit_AllocateNothing()
    {
        using var lease = PinLease<byte>.Acquire(new byte[64], NewBudget());
        lease.Enter().Dispose(); // the thread's first scope creates its reusable ticket

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            using PinScope<byte> scope = lease.Enter();
            scope.Span[i & 63]++;
            if (lease.TryEnter(out PinScope<byte> nested))
            {
                nested.Dispose();
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
