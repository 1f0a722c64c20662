using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

public sealed class MappedViewLeaseTests : IDisposable
{
    private const long ViewOffset = 4096 + 100; // not a multiple of the page size: PointerOffset is 100
    private const int ViewLength = 1000;

    private readonly string _directory = Directory.CreateTempSubdirectory("pin-leases-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string NewFile(long length)
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".dat");
        using var stream = new FileStream(path, FileMode.CreateNew);
        stream.SetLength(length);
        return path;
    }

    private static (MemoryMappedFile File, MemoryMappedViewAccessor View) Map(string path, long offset, long size)
    {
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        return (file, file.CreateViewAccessor(offset, size));
    }

    [Fact]
    public void WritesThroughAScope_LandAtTheViewsOffsetInTheFile()
    {
        string path = NewFile(3 * 4096);
        PinBudget budget = NewBudget();
        byte[] pattern = Enumerable.Range(0, ViewLength).Select(i => (byte)((i * 7) + 1)).ToArray();
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = Map(path, ViewOffset, ViewLength);
        using (file)
        using (view)
        {
            Assert.Equal(100, view.PointerOffset);
            using var lease = MappedViewLease.Acquire(view, budget);
            Assert.Equal(ViewLength, lease.Length);
            Assert.Equal(ViewLength, budget.PinnedBytes);

            using (MappedViewScope scope = lease.Enter())
            {
                Assert.Equal(lease.Address, scope.Address);
                Assert.Equal(ViewLength, scope.Length);
                Assert.Equal(ViewLength, scope.Span.Length);
                pattern.AsSpan(0, ViewLength - 1).CopyTo(scope.Span);
                Marshal.WriteByte(scope.Address, ViewLength - 1, pattern[^1]);
            }

            // The accessor sees the same bytes at the same positions: the lease applied PointerOffset.
            Assert.Equal(pattern[0], view.ReadByte(0));
            Assert.Equal(pattern[^1], view.ReadByte(ViewLength - 1));
        }

        Assert.Equal(0, budget.PinnedBytes);
        byte[] onDisk = File.ReadAllBytes(path);
        Assert.Equal(pattern, onDisk.AsSpan((int)ViewOffset, ViewLength).ToArray());
        Assert.Equal(0, onDisk[ViewOffset - 1]);
        Assert.Equal(0, onDisk[ViewOffset + ViewLength]);

        // And a fresh mapping of the file reads them back.
        (MemoryMappedFile again, MemoryMappedViewAccessor fresh) = Map(path, ViewOffset, ViewLength);
        using (again)
        using (fresh)
        {
            Assert.Equal(pattern[500], fresh.ReadByte(500));
        }
    }

    [Fact]
    public void TheLeaseKeepsTheViewMapped_UntilItIsReleased()
    {
        string path = NewFile(2 * 4096);
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = Map(path, ViewOffset, ViewLength);
        using (file)
        {
            var handle = view.SafeMemoryMappedViewHandle;
            var lease = MappedViewLease.Acquire(view, NewBudget());

            view.Dispose();

            Assert.False(handle.IsClosed); // the acquired pointer holds the mapping
            using (MappedViewScope scope = lease.Enter())
            {
                scope.Span[0] = 0x5A;
            }

            lease.Dispose();
            Assert.True(handle.IsClosed); // ReleasePointer dropped the last reference: unmapped
        }

        Assert.Equal(0x5A, File.ReadAllBytes(path)[ViewOffset]);
    }

    [Fact]
    public void OverBudget_ThrowsAndAcquiresNothing_TryAcquireReturnsFalse()
    {
        string path = NewFile(2 * 4096);
        PinBudget budget = NewBudget(maxBytes: ViewLength - 1);
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = Map(path, ViewOffset, ViewLength);
        using (file)
        {
            var handle = view.SafeMemoryMappedViewHandle;

            var ex = Assert.Throws<PinBudgetExceededException>(() => MappedViewLease.Acquire(view, budget));
            Assert.Equal(ViewLength, ex.RequestedBytes);
            Assert.False(MappedViewLease.TryAcquire(view, budget, out MappedViewLease? refused));
            Assert.Null(refused);
            Assert.Equal(0, budget.PinnedBytes);
            Assert.Equal(0, budget.ActiveLeases);

            view.Dispose();
            Assert.True(handle.IsClosed); // no pointer was left acquired
        }
    }

    [Fact]
    public void Misuse_NullOrDisposedView_ThrowsAndChargesNothing()
    {
        PinBudget budget = NewBudget();
        Assert.Throws<ArgumentNullException>("view", () => MappedViewLease.Acquire(null!, budget));
        Assert.Throws<ArgumentNullException>("view", () => MappedViewLease.TryAcquire(null!, budget, out _));

        string path = NewFile(2 * 4096);
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = Map(path, ViewOffset, ViewLength);
        using (file)
        {
            view.Dispose();
            Assert.Throws<ObjectDisposedException>(() => MappedViewLease.Acquire(view, budget));
        }

        Assert.Equal(0, budget.PinnedBytes);
        Assert.Equal(0, budget.ActiveLeases);
    }

    [Fact]
    public async Task Revoke_DrainsScopes_ThenReleasesThePointer()
    {
        string path = NewFile(2 * 4096);
        PinBudget budget = NewBudget();
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = Map(path, ViewOffset, ViewLength);
        using (file)
        {
            var handle = view.SafeMemoryMappedViewHandle;
            var lease = MappedViewLease.Acquire(view, budget);
            lease.RevocationRequested.Register(lease.Dispose);
            view.Dispose(); // the owner is done with its accessor; only the lease holds the mapping
            using var inFlight = new InFlightUse(entered =>
            {
                using MappedViewScope scope = lease.Enter();
                entered();
                scope.Span[1] = 0x42; // written after the revocation was requested, before the release
            });

            Task<bool> revoke = lease.RevokeAsync(Generous);

            await AssertPending(revoke);
            Assert.False(handle.IsClosed);
            Assert.Throws<PinRevokedException>(() => lease.Address); // revoked (the holder's dispose on the token does not change that)
            Assert.False(lease.TryEnter(out MappedViewScope refused));
            AssertClosed(refused);

            inFlight.Exit();

            Assert.True(await revoke.Within());
            Assert.True(lease.IsRevoked);
            Assert.True(handle.IsClosed);
            Assert.Equal(0, budget.PinnedBytes);
            Assert.Throws<PinRevokedException>(() => lease.Address);
            Assert.Throws<PinRevokedException>(() => lease.Enter().Dispose());
            Assert.False(lease.TryEnter(out _));
        }

        Assert.Equal(0x42, File.ReadAllBytes(path)[ViewOffset + 1]);
    }

    [Fact]
    public async Task HolderThatNeverDisposes_KeepsTheViewMapped_RevokeReturnsFalse()
    {
        string path = NewFile(2 * 4096);
        PinBudget budget = NewBudget();
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = Map(path, ViewOffset, ViewLength);
        using (file)
        {
            var handle = view.SafeMemoryMappedViewHandle;
            var lease = MappedViewLease.Acquire(view, budget);
            view.Dispose();

            Assert.False(await lease.RevokeAsync(TimeSpan.FromMilliseconds(50)).Within());

            Assert.False(handle.IsClosed);
            Assert.True(lease.IsPinned);
            Assert.Equal(ViewLength, budget.PinnedBytes);
            lease.Dispose();
            Assert.True(handle.IsClosed);
            Assert.Equal(0, budget.PinnedBytes);
        }
    }

    [Fact]
    public void DisposedWithoutRevocation_ReportsObjectDisposed()
    {
        string path = NewFile(2 * 4096);
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = Map(path, ViewOffset, ViewLength);
        using (file)
        using (view)
        {
            var lease = MappedViewLease.Acquire(view, NewBudget());
            lease.Dispose();

            var address = Assert.Throws<ObjectDisposedException>(() => lease.Address);
            Assert.Contains("MappedViewLease", address.Message);
            Assert.Throws<ObjectDisposedException>(() => lease.Enter().Dispose());
            Assert.False(lease.TryEnter(out MappedViewScope scope));
            AssertClosed(scope);
        }
    }

    [Fact]
    public void ViewLongerThanASpan_ExposesAddressAndLength_SpanThrows()
    {
        long length = int.MaxValue + 4097L; // a sparse file: nothing is written but two bytes
        string path = NewFile(length + 4096);
        (MemoryMappedFile file, MemoryMappedViewAccessor view) = Map(path, 4096, length);
        using (file)
        using (view)
        using (var lease = MappedViewLease.Acquire(view, NewBudget()))
        {
            using MappedViewScope scope = lease.Enter();
            Assert.Equal(length, scope.Length);
            InvalidOperationException? tooLong = null;
            try
            {
                _ = scope.Span.Length;
            }
            catch (InvalidOperationException e)
            {
                tooLong = e;
            }

            Assert.NotNull(tooLong);
            Assert.Contains(length.ToString(System.Globalization.CultureInfo.InvariantCulture), tooLong.Message);
            Marshal.WriteByte((IntPtr)((long)scope.Address + length - 1), 9);
            Assert.Equal(9, view.ReadByte(length - 1));
        }
    }
}
