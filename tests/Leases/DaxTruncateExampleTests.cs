using System.IO.MemoryMappedFiles;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

/// <summary>The per-file budget example of docs/leases.md: <see cref="DaxLogFile"/> and <see cref="LogCompaction"/>.</summary>
public sealed class DaxTruncateExampleTests : IDisposable
{
    private const int KiB = 1024;

    private readonly string _directory = Directory.CreateTempSubdirectory("pin-leases-truncate-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string NewPath() => Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".log");

    [Fact]
    public async Task TheDocumentedUsage_TearsDownBothRegistrations_ThenShrinksTheFile()
    {
        var nic = new FakeNic();
        string path = NewPath();

        Assert.True(await LogCompaction.CompactAsync(path, nic).Within());

        // A fresh FakeNic hands out keys 1, 2, ...: the head's and the tail's registrations.
        Assert.False(nic.IsRegistered(1));
        Assert.False(nic.IsRegistered(2));
        byte[] file = File.ReadAllBytes(path);
        Assert.Equal(512 * KiB, file.Length);
        Assert.Equal("LOG1"u8.ToArray(), file[..4]); // what the peer wrote before the truncate is in the file
    }

    [Fact]
    public async Task EveryLeaseOverTheFile_IsRevoked_ScopesDrain_ThenTheFileShrinks_AndCanBeLentAgain()
    {
        var nic = new FakeNic();
        string path = NewPath();
        using var log = new DaxLogFile(path, 256 * KiB);
        var first = new NicRegistration(nic, log.Lend(0, 4 * KiB));
        var second = new NicRegistration(nic, log.Lend(128 * KiB, 4 * KiB));
        MappedViewLease reader = log.Lend(64 * KiB, 4 * KiB);
        reader.RevocationRequested.Register(reader.Dispose);
        using var inFlight = new InFlightUse(entered =>
        {
            using MappedViewScope scope = reader.Enter();
            entered();
            scope.Span[0] = 0x5A; // still mapped: the truncate waits for this scope
        });
        Assert.Equal(3, log.Leases.ActiveLeases);

        Task<bool> truncate = log.TryTruncateAsync(96 * KiB, Generous);

        await AssertPending(truncate);
        Assert.False(nic.IsRegistered(first.Key)); // the registrations were torn down at once
        Assert.False(nic.IsRegistered(second.Key));
        Assert.Equal(256 * KiB, new FileInfo(path).Length); // but the file waits for the reader's scope
        inFlight.Exit();
        Assert.True(await truncate.Within());

        Assert.Equal(96 * KiB, new FileInfo(path).Length);
        Assert.Equal(96 * KiB, log.Length);
        Assert.Equal(0, log.Leases.ActiveLeases);
        Assert.Equal(0x5A, File.ReadAllBytes(path)[64 * KiB]);
        using MappedViewLease again = log.Lend(0, 4 * KiB); // the new mapping lends the new length
        Assert.False(again.RevocationRequested.IsCancellationRequested);
        Assert.ThrowsAny<ArgumentException>(() => log.Lend(128 * KiB, 4 * KiB)); // past the new end
    }

    [Fact]
    public async Task HolderThatDoesNotLetGo_TheFileIsUntouched_ALateDmaWriteIsSafe_UntilItLetsGo()
    {
        var nic = new FakeNic();
        string path = NewPath();
        using var log = new DaxLogFile(path, 64 * KiB);
        var polite = new NicRegistration(nic, log.Lend(0, 4 * KiB));
        MappedViewLease stuck = log.Lend(32 * KiB, 16 * KiB);
        uint stuckKey = nic.RegisterMemory(stuck.Address, stuck.Length); // registered, nobody listens for revocation

        Assert.False(await log.TryTruncateAsync(8 * KiB, TimeSpan.FromMilliseconds(50)).Within());

        Assert.False(nic.IsRegistered(polite.Key));
        Assert.Equal(64 * KiB, new FileInfo(path).Length);
        Assert.Equal(64 * KiB, log.Length);
        nic.DmaWrite(stuckKey, 16 * KiB - 1, [0x77]); // the last byte of the stuck range: still mapped and in the file
        Assert.Equal(16 * KiB, log.Leases.PinnedBytes);
        using (MappedViewLease meanwhile = log.Lend(0, 4 * KiB))
        {
            // the owner lends again after a failed truncate
        }

        nic.DeregisterMemory(stuckKey);
        stuck.Dispose();
        Assert.True(await log.TryTruncateAsync(8 * KiB, TimeSpan.Zero));
        Assert.Equal(8 * KiB, new FileInfo(path).Length);
        Assert.Equal(0, log.Leases.ActiveLeases);
    }

    [Fact]
    public async Task WhileTheTruncateWaits_TheOwnerLendsNothing_AndTheBudgetRefusesEveryone()
    {
        string path = NewPath();
        using var log = new DaxLogFile(path, 64 * KiB);
        MappedViewLease stuck = log.Lend(0, 4 * KiB);
        Task<bool> truncate = log.TryTruncateAsync(8 * KiB, Timeout.InfiniteTimeSpan);
        await AssertPending(truncate);

        Assert.Throws<InvalidOperationException>(() => log.Lend(0, 4 * KiB));
        // Someone who mapped the file on their own still cannot charge a lease to the file's budget.
        using (var mapping = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite))
        using (MemoryMappedViewAccessor view = mapping.CreateViewAccessor(0, 4 * KiB))
        {
            Assert.Throws<PinRevokedException>(() => MappedViewLease.Acquire(view, log.Leases));
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => log.TryTruncateAsync(4 * KiB, TimeSpan.Zero));
        stuck.Dispose();
        Assert.True(await truncate.Within());
        Assert.Equal(8 * KiB, new FileInfo(path).Length);
    }

    [Fact]
    public async Task CancelledTruncate_LeavesTheFileAndItsLeasesAlone()
    {
        string path = NewPath();
        using var log = new DaxLogFile(path, 64 * KiB);
        MappedViewLease stuck = log.Lend(0, 4 * KiB);
        using var cts = new CancellationTokenSource();
        Task<bool> truncate = log.TryTruncateAsync(8 * KiB, Timeout.InfiniteTimeSpan, cts.Token);
        await AssertPending(truncate);

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => truncate.Within());
        Assert.Equal(64 * KiB, new FileInfo(path).Length);
        Assert.True(stuck.IsPinned); // nothing is unpinned by a cancellation
        Assert.Throws<PinRevokedException>(() => stuck.Address); // but its holder was told, and that stands
        using (MappedViewLease meanwhile = log.Lend(4 * KiB, 4 * KiB))
        {
            Assert.False(meanwhile.RevocationRequested.IsCancellationRequested); // lending resumed
        }

        stuck.Dispose();
        Assert.True(await log.TryTruncateAsync(8 * KiB, TimeSpan.Zero));
        Assert.Equal(8 * KiB, new FileInfo(path).Length);
    }

    [Fact]
    public void TheDocumentedExample_IsTheCodeTheseTestsRun()
    {
        string source = LeaseDocs.Normalize(LeaseDocs.Read("tests", "Leases", "DaxTruncateExample.cs"));
        string[] names = ["DaxLogFile", "LogCompaction"];

        string[] blocks = LeaseDocs.CSharpBlocks()
            .Where(block => names.Contains(LeaseDocs.DeclaredClass(block)))
            .ToArray();

        Assert.Equal(names, blocks.Select(LeaseDocs.DeclaredClass));
        Assert.All(blocks, block => Assert.Contains(LeaseDocs.Normalize(block), source));
    }

    [Fact]
    public void EveryClassInTheLeaseDoc_IsCompiledAndTested()
    {
        string[] sources = Directory.GetFiles(Path.Combine(LeaseDocs.RepositoryRoot, "tests", "Leases"), "*Example.cs")
            .Select(file => LeaseDocs.Normalize(File.ReadAllText(file)))
            .ToArray();

        string[] classes = LeaseDocs.CSharpBlocks().Where(block => LeaseDocs.DeclaredClass(block) is not null).ToArray();

        Assert.True(classes.Length >= 5, "docs/leases.md lost its examples");
        Assert.All(classes, block => Assert.True(
            sources.Any(source => source.Contains(LeaseDocs.Normalize(block), StringComparison.Ordinal)),
            $"docs/leases.md declares {LeaseDocs.DeclaredClass(block)}, which no tests/Leases/*Example.cs contains as written"));
    }
}
