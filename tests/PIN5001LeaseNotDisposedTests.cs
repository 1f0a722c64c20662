using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.LeaseAnalyzerVerifier<PinAnalyzers.LeaseAnalyzer>;

namespace PinAnalyzers.Tests;

public sealed class PIN5001LeaseNotDisposedTests
{
    [Fact]
    public Task AcquiredLeaseNeverDisposed()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] buffer)
                {
                    var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                    write(fd, lease.Address, buffer.Length);
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task AllocatedLeaseDiscarded()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Pool
            {
                public static void Warm(PinBudget budget)
                {
                    {|#0:PinLease<byte>.Allocate(4096, budget)|};
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task MemoryLeaseNeverDisposed()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static long Size(Memory<int> memory, PinBudget budget)
                {
                    var lease = {|#0:PinLease<int>.Acquire(memory, budget)|};
                    return lease.ByteLength;
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task ThrowingCallBetweenAcquireAndDispose()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                    source.Read(buffer, 0, buffer.Length);
                    lease.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("may leak if 'Read' throws"));

    [Fact]
    public Task AwaitOutsideTryLeaks()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static async Task CopyAsync(Stream source, byte[] buffer)
                {
                    var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                    await source.ReadAsync(buffer, 0, buffer.Length);
                    lease.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("may leak if 'ReadAsync' throws"));

    [Fact]
    public Task EarlyReturnSkipsDispose()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static int Fill(byte[] buffer)
                {
                    var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                    var n = fill(lease.Address, buffer.Length);
                    if (n < 0)
                    {
                        return n;
                    }

                    lease.Dispose();
                    return n;
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is not disposed on every path"));

    [Fact]
    public Task DisposedInOneBranchOnly()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Maybe(byte[] buffer, bool done)
                {
                    var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                    if (done)
                    {
                        lease.Dispose();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is not disposed on every path"));

    [Fact]
    public Task ExplicitThrowBetweenAcquireAndDispose()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(byte[] buffer, int count);

                public static void Fill(byte[] buffer)
                {
                    var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                    if (fill(buffer, buffer.Length) < 0)
                    {
                        throw new InvalidOperationException("fill failed");
                    }

                    lease.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is not disposed when the method throws"));

    [Fact]
    public Task TryAcquireSucceedsButNeverDisposed()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static bool Send(int fd, byte[] buffer, PinBudget budget)
                {
                    if ({|#0:PinLease<byte>.TryAcquire(buffer, budget, out var lease)|})
                    {
                        write(fd, lease.Address, buffer.Length);
                        return true;
                    }

                    return false;
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task MappedViewLeaseNeverDisposed()
        => Verify.VerifyAsync("""
            using System.IO.MemoryMappedFiles;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, MemoryMappedViewAccessor view)
                {
                    var lease = {|#0:MappedViewLease.Acquire(view)|};
                    write(fd, lease.Address, (nint)lease.Length);
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task MappedViewTryAcquireNotDisposedAfterThrowingCall()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.IO.MemoryMappedFiles;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Flush(Stream log, MemoryMappedViewAccessor view, PinBudget budget)
                {
                    if ({|#0:MappedViewLease.TryAcquire(view, budget, out var lease)|})
                    {
                        log.Flush();
                        lease.Dispose();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("may leak if 'Flush' throws"));

    [Fact]
    public Task CatchThatDoesNotDispose()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                    try
                    {
                        source.Read(buffer, 0, buffer.Length);
                        lease.Dispose();
                    }
                    catch (IOException)
                    {
                        Console.WriteLine("read failed");
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is not disposed on every path"));

    [Fact]
    public Task AcquiredInsideALambdaNeverDisposed()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static Task CopyLater(Stream source, byte[] buffer)
                    => Task.Run(() =>
                    {
                        var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                        source.Read(buffer, 0, buffer.Length);
                    });
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task EachIterationAcquiresAgain()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void FillAll(Stream source, byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                        source.Read(buffer, 0, buffer.Length);
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is never disposed: each iteration pins again"));

    [Fact]
    public Task OnlyTheAddressIsStoredInAField()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Registration
            {
                private IntPtr _registered;

                public void Register(byte[] buffer)
                {
                    // The lease itself stays in the local and nobody can ever dispose it.
                    var lease = {|#0:PinLease<byte>.Acquire(buffer)|};
                    _registered = lease.Address;
                }
            }
            """,
            Verify.Diagnostic("PIN5001").WithLocation(0).WithArguments("is never disposed"));

    // ---- valid code: no PIN5001 ----

    [Fact]
    public Task UsingDeclaration()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer, PinBudget budget)
                {
                    using var lease = PinLease<byte>.Acquire(buffer, budget);
                    source.Read(buffer, 0, buffer.Length);
                }
            }
            """);

    [Fact]
    public Task UsingStatementOverMappedView()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.IO.MemoryMappedFiles;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Flush(Stream log, MemoryMappedViewAccessor view)
                {
                    using (var lease = MappedViewLease.Acquire(view))
                    {
                        log.Flush();
                    }
                }
            }
            """);

    [Fact]
    public Task UsingStatementWithoutVariable()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                // The lowered Dispose() call has the acquisition's syntax: it is the release, not the pin again.
                public static void Copy(Stream source, byte[] buffer)
                {
                    using (PinLease<byte>.Acquire(buffer))
                    {
                        source.Read(buffer, 0, buffer.Length);
                    }
                }
            }
            """);

    [Fact]
    public Task DisposedInFinally()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    try
                    {
                        source.Read(buffer, 0, buffer.Length);
                    }
                    finally
                    {
                        lease.Dispose();
                    }
                }
            }
            """);

    [Fact]
    public Task NullCheckedDisposeInFinally()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    PinLease<byte>? lease = null;
                    try
                    {
                        lease = PinLease<byte>.Acquire(buffer);
                        source.Read(buffer, 0, buffer.Length);
                    }
                    finally
                    {
                        if (lease != null)
                        {
                            lease.Dispose();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task ConditionalDisposeInFinally()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    PinLease<byte>? lease = null;
                    try
                    {
                        lease = PinLease<byte>.Allocate(buffer.Length);
                        source.Read(lease.Array!, 0, buffer.Length);
                    }
                    finally
                    {
                        lease?.Dispose();
                    }
                }
            }
            """);

    [Fact]
    public Task TryAcquireGuardWithUsing()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static bool Copy(Stream source, byte[] buffer, PinBudget budget)
                {
                    if (PinLease<byte>.TryAcquire(buffer, budget, out var lease))
                    {
                        using (lease)
                        {
                            source.Read(buffer, 0, buffer.Length);
                        }

                        return true;
                    }

                    return false;
                }
            }
            """);

    [Fact]
    public Task NullCheckAfterTryAcquire()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer, PinBudget budget)
                {
                    PinLease<byte>.TryAcquire(buffer, budget, out var lease);
                    if (lease != null)
                    {
                        try
                        {
                            source.Read(buffer, 0, buffer.Length);
                        }
                        finally
                        {
                            lease.Dispose();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task UsingDeclarationInsideLocalFunction()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void CopyAll(Stream source, byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        Copy(buffer);
                    }

                    void Copy(byte[] buffer)
                    {
                        using var lease = PinLease<byte>.Acquire(buffer);
                        source.Read(buffer, 0, buffer.Length);
                    }
                }
            }
            """);

    [Fact]
    public Task FailedTryAcquireReturnsEarly()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static bool Copy(Stream source, byte[] buffer, PinBudget budget)
                {
                    if (!PinLease<byte>.TryAcquire(buffer, budget, out var lease))
                    {
                        return false;
                    }

                    try
                    {
                        source.Read(buffer, 0, buffer.Length);
                        return true;
                    }
                    finally
                    {
                        lease.Dispose();
                    }
                }
            }
            """);

    [Fact]
    public Task MappedViewTryAcquireThrowsWhenRefused()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.IO.MemoryMappedFiles;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Flush(Stream log, MemoryMappedViewAccessor view, PinBudget budget)
                {
                    if (!MappedViewLease.TryAcquire(view, budget, out var lease))
                    {
                        throw new InvalidOperationException("over budget");
                    }

                    using (lease)
                    {
                        log.Flush();
                    }
                }
            }
            """);

    [Fact]
    public Task DisposedOnEveryBranch()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(byte[] buffer, int count);

                public static int Fill(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    var n = fill(buffer, buffer.Length);
                    if (n < 0)
                    {
                        lease.Dispose();
                        return -1;
                    }

                    lease.Dispose();
                    return n;
                }
            }
            """);

    [Fact]
    public Task LeaseReturnedToCaller()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Leases
            {
                public static PinLease<byte> Rent(int length, PinBudget budget) => PinLease<byte>.Allocate(length, budget);

                public static PinLease<byte> Fill(Stream source, byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    source.Read(buffer, 0, buffer.Length);
                    return lease;
                }
            }
            """);

    [Fact]
    public Task LeaseWrittenToOutParameter()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Leases
            {
                public static bool TryRent(int length, PinBudget budget, out PinLease<byte> lease)
                {
                    lease = PinLease<byte>.Allocate(length, budget);
                    return true;
                }

                public static bool TryPin(byte[] buffer, PinBudget budget, out PinLease<byte>? lease)
                    => PinLease<byte>.TryAcquire(buffer, budget, out lease);
            }
            """);

    [Fact]
    public Task LeaseStoredInFieldOfAHolderThatObservesRevocation()
        => Verify.VerifyAsync("""
            using System.IO.MemoryMappedFiles;
            using PinAnalyzers.Leases;

            sealed class Receiver
            {
                private PinLease<byte>? _buffer;
                private MappedViewLease? _log;

                public void Start(PinBudget budget, MemoryMappedViewAccessor view)
                {
                    var lease = PinLease<byte>.Allocate(4096, budget);
                    _buffer = lease;
                    _log = MappedViewLease.Acquire(view, budget);
                    _buffer.RevocationRequested.Register(Stop);
                }

                public void Stop()
                {
                    _buffer?.Dispose();
                    _log?.Dispose();
                }
            }
            """);

    [Fact]
    public Task LeaseStoredInProperty()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Registration
            {
                public PinLease<byte>? Lease { get; private set; }

                public void Register(byte[] buffer, Action onRevoked)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(onRevoked);
                    Lease = lease;
                }
            }
            """);

    [Fact]
    public Task OnlyPInvokeBetweenAcquireAndDispose()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    write(fd, lease.Address, buffer.Length);
                    lease.Dispose();
                }
            }
            """);

    // ---- without the lease library ----

    [Fact]
    public Task LookalikeTypesWithoutTheLibraryAreNotReported()
        => Verify.VerifyWithoutLeasesAsync("""
            using System;

            namespace Elsewhere
            {
                sealed class PinLease<T> : IDisposable
                {
                    public static PinLease<T> Acquire(T[] array) => new PinLease<T>();

                    public void Dispose()
                    {
                    }
                }

                static class Native
                {
                    public static void Leak(byte[] buffer)
                    {
                        var lease = PinLease<byte>.Acquire(buffer);
                    }
                }
            }
            """);

    [Fact]
    public async Task RegistersNothingWithoutTheLibrary()
    {
        const string Source = """
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Leak(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                }
            }
            """;

        var (without, idle) = await Verify.RunAsync(Source, referenceLeases: false);
        Assert.DoesNotContain(without, d => d.Id.StartsWith("PIN", StringComparison.Ordinal) || d.Id == "AD0001");
        Assert.Equal(1, idle.CompilationStartActionsCount);
        Assert.Equal(0, idle.OperationBlockStartActionsCount);
        Assert.Equal(0, idle.OperationActionsCount);
        Assert.Equal(0, idle.SymbolStartActionsCount);
        Assert.Equal(0, idle.SymbolActionsCount);
        Assert.Equal(0, idle.SyntaxNodeActionsCount);
        Assert.Equal(0, idle.CompilationEndActionsCount);

        // The same measure with the library referenced: the rules are registered, so the zeros above mean something.
        var (_, active) = await Verify.RunAsync(Source, referenceLeases: true);
        Assert.True(active.OperationBlockStartActionsCount > 0 && active.SymbolStartActionsCount > 0, "LeaseAnalyzer registered nothing with the library referenced");
    }

    // ---- broken code ----

    [Fact]
    public Task HalfTypedCodeDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(
                    if (PinLease<byte>.TryAcquire(buffer, , out var other))
                    {
                        using var scope = other.Enter(
                        source.Read(buffer, 0,
                    }
                    var view = MappedViewLease.Acquire(undefinedView);
                    PinLease<>.Allocate(;
                    lease.
                }
            """);
}
