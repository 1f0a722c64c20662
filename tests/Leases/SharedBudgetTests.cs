using PinAnalyzers.Leases;
using Xunit;

namespace PinAnalyzers.Tests.Leases;

/// <summary>Runs the tests that read <see cref="PinBudget.Shared"/> alone; every other test uses its own budget.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedBudgetCollection
{
    public const string Name = "PinBudget.Shared";
}

[Collection(SharedBudgetCollection.Name)]
public sealed class SharedBudgetTests
{
    [Fact]
    public void LeasesWithoutABudget_AreCountedByTheUnlimitedSharedBudget()
    {
        PinBudget shared = PinBudget.Shared;
        Assert.Equal(("shared", long.MaxValue, int.MaxValue), (shared.Name, shared.MaxBytes, shared.MaxLeases));
        long bytesBefore = shared.PinnedBytes;
        int leasesBefore = shared.ActiveLeases;

        var a = PinLease<int>.Acquire(new int[10]);
        var b = PinLease<byte>.Acquire(new byte[6].AsMemory());
        var c = PinLease<short>.Allocate(2);

        Assert.Same(shared, a.Budget);
        Assert.Same(shared, b.Budget);
        Assert.Same(shared, c.Budget);
        Assert.Equal(bytesBefore + 50, shared.PinnedBytes);
        Assert.Equal(leasesBefore + 3, shared.ActiveLeases);

        a.Dispose();
        b.Dispose();
        c.Dispose();
        Assert.Equal(bytesBefore, shared.PinnedBytes);
        Assert.Equal(leasesBefore, shared.ActiveLeases);
    }
}
