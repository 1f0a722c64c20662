using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

public sealed class RdmaRegistrationExampleTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pin-leases-dax-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task CooperativeHolder_DeregistersOnRevocation_AndTheOwnerTruncates()
    {
        var nic = new FakeNic();
        PinBudget budget = NewBudget();
        string path = Path.Combine(_directory, "log.pmem");
        using var owner = new DaxFileOwner(path, 8192, budget);

        var registration = new NicRegistration(nic, owner.Lend());
        nic.DmaWrite(registration.Key, 100, [1, 2, 3]);
        Assert.Equal(8192, budget.PinnedBytes);

        Assert.True(await owner.TryTruncateAsync(4096, Generous).Within());

        Assert.False(nic.IsRegistered(registration.Key));
        Assert.Throws<InvalidOperationException>(() => nic.DmaWrite(registration.Key, 0, [9]));
        Assert.Equal(0, budget.PinnedBytes);
        byte[] file = File.ReadAllBytes(path);
        Assert.Equal(4096, file.Length);
        Assert.Equal([1, 2, 3], file[100..103]);
        registration.Dispose(); // already done by the revocation: a no-op
    }

    [Fact]
    public async Task HolderThatIgnoresRevocation_TheOwnerDoesNotTruncate_UntilItLetsGo()
    {
        var nic = new FakeNic();
        PinBudget budget = NewBudget();
        string path = Path.Combine(_directory, "stuck.pmem");
        using var owner = new DaxFileOwner(path, 8192, budget);
        MappedViewLease lease = owner.Lend();
        uint key = nic.RegisterMemory(lease.Address, lease.Length); // registered, but nobody listens for revocation

        Assert.False(await owner.TryTruncateAsync(0, TimeSpan.FromMilliseconds(50)).Within());

        Assert.Equal(8192, new FileInfo(path).Length);
        nic.DmaWrite(key, 8000, [7]); // the pages are still mapped: the late write is safe, not a SIGBUS
        Assert.Equal(8192, budget.PinnedBytes);

        nic.DeregisterMemory(key);
        lease.Dispose();
        Assert.True(await owner.TryTruncateAsync(0, TimeSpan.Zero));
        Assert.Equal(0, new FileInfo(path).Length);
        Assert.Equal(0, budget.PinnedBytes);
    }

    [Fact]
    public async Task ReceiveBuffer_OnThePinnedObjectHeap_RegisteredAndRevoked()
    {
        var nic = new FakeNic();
        PinBudget budget = NewBudget(maxBytes: 1 << 20);
        PinLease<byte> buffer = PinLease<byte>.Allocate(4096, budget);
        var registration = new NicRegistration(nic, buffer);

        nic.DmaWrite(registration.Key, 0, [0xCA, 0xFE]);
        using (PinScope<byte> scope = buffer.Enter())
        {
            Assert.Equal(0xCAFE, (scope.Span[0] << 8) | scope.Span[1]);
        }

        Assert.True(await buffer.RevokeAsync(Generous).Within());
        Assert.False(nic.IsRegistered(registration.Key));
        Assert.True(buffer.IsRevoked);
        Assert.Equal(0, budget.PinnedBytes);
    }

    [Fact]
    public void TheDocumentedExample_IsTheCodeTheseTestsRun()
    {
        string source = LeaseDocs.Normalize(LeaseDocs.Read("tests", "Leases", "RdmaRegistrationExample.cs"));
        string[] names = ["FakeNic", "NicRegistration", "DaxFileOwner"];

        string[] classes = LeaseDocs.CSharpBlocks()
            .Where(block => names.Contains(LeaseDocs.DeclaredClass(block)))
            .ToArray();

        Assert.Equal(3, classes.Length);
        Assert.All(classes, block => Assert.Contains(LeaseDocs.Normalize(block), source));
    }
}
