using System.Linq;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MemoryHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN3002 (DESIGN.md, rule catalogue and "Every path"; issue 7): a <c>MemoryHandle</c> kept in the method that is not
/// disposed on every path, exceptional paths included, with PIN1002's "can throw" policy. Every form of <c>using</c>
/// is clean, also across <c>await</c>.
/// </summary>
public sealed class PIN3002MemoryHandleNotDisposedTests
{
    [Fact]
    public void DescriptorIsInTheMemoryHandlesFamily()
    {
        var descriptor = new MemoryHandleAnalyzer().SupportedDiagnostics.Single(d => d.Id == "PIN3002");
        Assert.Equal("MemoryHandle is not disposed on every path", descriptor.Title.ToString());
        Assert.Equal("MemoryHandles", descriptor.Category);
        Assert.Equal("The MemoryHandle {0}", descriptor.MessageFormat.ToString());
    }

    // ---- each way to leak ----

    [Fact]
    public Task NeverDisposed()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                public static void Send(int fd, ReadOnlyMemory<byte> payload)
                {
                    var handle = {|#0:payload.Pin()|};
                    write(fd, handle.Pointer, payload.Length);
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task Discarded()
        => Verify.VerifyAsync("""
            using System;

            static class Pins
            {
                public static void Touch(Memory<byte> memory)
                {
                    {|#0:memory.Pin()|};
                    _ = {|#1:memory.Pin()|};
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("is never disposed"),
            Verify.Diagnostic("PIN3002").WithLocation(1).WithArguments("is never disposed"));

    [Fact]
    public Task MayLeakIfACallThrows()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                private static void CheckResult(nint result, string operation)
                {
                    if (result < 0) throw new InvalidOperationException(operation);
                }

                public static void Send(int fd, Memory<byte> payload)
                {
                    var handle = {|#0:payload.Pin()|};
                    var written = write(fd, handle.Pointer, payload.Length);
                    CheckResult(written, "write");
                    handle.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("may leak if 'CheckResult' throws"));

    [Fact]
    public Task ExplicitThrowBetweenPinAndDispose()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern int fill(void* buffer, int count);

                public static void Fill(Memory<byte> buffer)
                {
                    var handle = {|#0:buffer.Pin()|};
                    if (fill(handle.Pointer, buffer.Length) < 0)
                    {
                        throw new InvalidOperationException("fill failed");
                    }

                    handle.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("is not disposed when the method throws"));

    [Fact]
    public Task EarlyReturnSkipsDispose()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                public static bool Send(int fd, Memory<byte> payload)
                {
                    var handle = {|#0:payload.Pin()|};
                    if (write(fd, handle.Pointer, payload.Length) < 0)
                    {
                        return false;
                    }

                    handle.Dispose();
                    return true;
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("is not disposed on every path"));

    [Fact]
    public Task CatchThatDoesNotDispose()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;

            static class Copier
            {
                public static void Copy(Stream stream, Memory<byte> buffer)
                {
                    var handle = {|#0:buffer.Pin()|};
                    try
                    {
                        stream.Write(buffer.Span);
                        handle.Dispose();
                    }
                    catch (IOException)
                    {
                        Console.Error.WriteLine("write failed");
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("is not disposed on every path"));

    [Fact]
    public Task AwaitBetweenPinAndDispose()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.Threading.Tasks;

            static class Copier
            {
                public static async Task CopyAsync(Stream source, Memory<byte> buffer)
                {
                    var handle = {|#0:buffer.Pin()|};
                    await source.ReadAsync(buffer);
                    handle.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("may leak if 'ReadAsync' throws"));

    [Fact]
    public Task MemoryManagerPinNeverUnpinned()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static unsafe class Hashing
            {
                public static byte First(MemoryManager<byte> manager)
                {
                    var handle = {|#0:manager.Pin()|};
                    return *(byte*)handle.Pointer;
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task IPinnablePinDisposedOnlyOnTheHappyPath()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static unsafe class Hashing
            {
                public static int Hash(IPinnable pinnable, Func<IntPtr, int> hash)
                {
                    var handle = {|#0:pinnable.Pin(0)|};
                    var result = hash((IntPtr)handle.Pointer);
                    handle.Dispose();
                    return result;
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("may leak if 'hash' throws"));

    [Fact]
    public Task StringMemoryPinnedAndNotDisposed()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern int puts(char* text);

                public static void Print(string text)
                {
                    var handle = {|#0:text.AsMemory().Pin()|};
                    puts((char*)handle.Pointer);
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task PinInOneBranchDisposedInTheOther()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Pins
            {
                public static void Run(Memory<byte> memory, bool fast, Action<MemoryHandle> use)
                {
                    MemoryHandle handle = default;
                    if (fast)
                    {
                        handle = {|#0:memory.Pin()|};
                    }

                    if (!fast)
                    {
                        handle.Dispose();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("is not disposed on every path"));

    [Fact]
    public Task PinInLoopDisposedAfterTheLoopIsPIN1003NotPIN3002()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Pins
            {
                public static void Touch(Memory<byte>[] segments)
                {
                    MemoryHandle handle = default;
                    foreach (var segment in segments)
                    {
                        handle = {|PIN1003:segment.Pin()|};
                    }

                    handle.Dispose();
                }
            }
            """);

    // ---- negatives: every form of using, finally, no throwing call ----

    [Fact]
    public Task UsingStatement()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                public static void Send(int fd, ReadOnlyMemory<byte> payload)
                {
                    using (var handle = payload.Pin())
                    {
                        Console.WriteLine(payload.Length);
                        write(fd, handle.Pointer, payload.Length);
                    }
                }
            }
            """);

    [Fact]
    public Task UsingDeclaration()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;

            static unsafe class Copier
            {
                public static void Copy(Stream stream, Memory<byte> buffer)
                {
                    using var handle = buffer.Pin();
                    stream.Write(new ReadOnlySpan<byte>(handle.Pointer, buffer.Length));
                }
            }
            """);

    [Fact]
    public Task UsingWithoutVariable()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;

            static class Copier
            {
                public static void Copy(Stream stream, Memory<byte> buffer)
                {
                    using (buffer.Pin())
                    {
                        stream.Write(buffer.Span);
                    }
                }
            }
            """);

    [Fact]
    public Task UsingDeclarationAcrossAwaits()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            static class Copier
            {
                public static async Task<int> CopyAsync(Stream source, Stream target, Memory<byte> buffer, CancellationToken cancellationToken)
                {
                    using var handle = buffer.Pin();
                    var total = 0;
                    int read;
                    while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        await target.WriteAsync(buffer.Slice(0, read), cancellationToken);
                        total += read;
                    }

                    await target.FlushAsync(cancellationToken);
                    return total;
                }
            }
            """);

    [Fact]
    public Task UsingStatementAcrossAwaitInAsyncLambdaAndValueTask()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.Threading.Tasks;

            static class Copier
            {
                public static Func<Stream, Task> Writer(ReadOnlyMemory<byte> payload)
                    => async stream =>
                    {
                        using (payload.Pin())
                        {
                            await stream.WriteAsync(payload);
                        }
                    };

                public static async ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer)
                {
                    using (var handle = buffer.Pin())
                    {
                        await Task.Yield();
                        return await stream.ReadAsync(buffer);
                    }
                }
            }
            """);

    [Fact]
    public Task DisposedInFinally()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.IO;
            using System.Threading.Tasks;

            static class Copier
            {
                public static async Task CopyAsync(Stream source, Memory<byte> buffer)
                {
                    MemoryHandle handle = buffer.Pin();
                    try
                    {
                        await source.ReadAsync(buffer);
                    }
                    finally
                    {
                        handle.Dispose();
                    }
                }
            }
            """);

    [Fact]
    public Task NothingCanThrowBetweenPinAndDispose()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern void* memset(void* buffer, int value, nint count);

                public static void Wipe(Memory<byte> buffer)
                {
                    var handle = buffer.Pin();
                    memset((byte*)handle.Pointer + 1, 0, buffer.Length - 1);
                    handle.Dispose();
                }
            }
            """);

    [Fact]
    public Task HandlePassedToASynchronousCallAndDisposed()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static unsafe class Hashing
            {
                private static int Hash(MemoryHandle handle, int length) => length == 0 ? 0 : *(byte*)handle.Pointer;

                public static int Hash(ReadOnlyMemory<byte> data)
                {
                    using var handle = data.Pin();
                    return Hash(handle, data.Length);
                }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapMemoryNeedsNoDispose()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                private static readonly Memory<byte> s_buffer = MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(4096, pinned: true), 0, 4096);

                [DllImport("libc")] private static extern nint read(int fd, void* buffer, nint count);

                public static int Read(int fd)
                {
                    var handle = s_buffer.Pin();
                    Console.WriteLine("reading");
                    return (int)read(fd, handle.Pointer, s_buffer.Length);
                }

                public static int ReadFresh(int fd)
                {
                    var memory = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(512, pinned: true), 0, 512);
                    var handle = memory.Pin();
                    return (int)read(fd, handle.Pointer, memory.Length);
                }
            }
            """);

    [Fact]
    public Task UserPinMethodIsNotASite()
        => Verify.VerifyAsync("""
            using System.Buffers;

            sealed class Slab
            {
                public MemoryHandle Pin() => default;
            }

            static class SlabExtensions
            {
                public static MemoryHandle Pin(this int[] array) => default;
            }

            static class Use
            {
                public static void Run(Slab slab, int[] array)
                {
                    var first = slab.Pin();
                    array.Pin();
                }
            }
            """);

    [Fact]
    public Task DisposedInEveryBranch()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                public static bool Send(int fd, Memory<byte> payload)
                {
                    var handle = payload.Pin();
                    if (write(fd, handle.Pointer, payload.Length) < 0)
                    {
                        handle.Dispose();
                        return false;
                    }

                    handle.Dispose();
                    return true;
                }
            }
            """);

    [Fact]
    public Task UsingPerIterationInAsyncLoop()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.IO;
            using System.Threading.Tasks;

            static class Sender
            {
                public static async Task SendAllAsync(Stream stream, IReadOnlyList<ReadOnlyMemory<byte>> segments)
                {
                    foreach (var segment in segments)
                    {
                        using var handle = segment.Pin();
                        await stream.WriteAsync(segment);
                    }
                }
            }
            """);

    [Fact]
    public Task UsingInIteratorAcrossYield()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;

            static class Chunks
            {
                public static IEnumerable<int> Lengths(ReadOnlyMemory<byte> data, int size)
                {
                    using (data.Pin())
                    {
                        for (var offset = 0; offset < data.Length; offset += size)
                        {
                            yield return Math.Min(size, data.Length - offset);
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task EitherOfTwoPinsInOneUsing()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                public static void Send(int fd, ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> body, bool headerOnly)
                {
                    using var handle = headerOnly ? header.Pin() : body.Pin();
                    Console.WriteLine(headerOnly);
                    write(fd, handle.Pointer, headerOnly ? header.Length : body.Length);
                }
            }
            """);

    [Fact]
    public Task EitherOfTwoPinsOneLeaks()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                public static void Send(int fd, ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> body, bool headerOnly)
                {
                    var handle = headerOnly ? {|#0:header.Pin()|} : {|#1:body.Pin()|};
                    Console.WriteLine(headerOnly);
                    write(fd, handle.Pointer, headerOnly ? header.Length : body.Length);
                    handle.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("may leak if 'WriteLine' throws"),
            Verify.Diagnostic("PIN3002").WithLocation(1).WithArguments("may leak if 'WriteLine' throws"));

    // ---- broken code ----

    [Fact]
    public Task HalfTypedUsingDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System;
            using System.IO;

            static class Copier
            {
                public static async System.Threading.Tasks.Task CopyAsync(Stream stream, Memory<byte> buffer)
                {
                    using (var handle = buffer.Pin(
                    {
                        await stream.ReadAsync(buffer
                    }
                }
            }
            """);

    [Fact]
    public Task PinWithoutBodyDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System;

            static class Copier
            {
                public static void Copy(Memory<byte> buffer) => var h = buffer.Pin(); h.Dispose();
                public static void Other(Memory<byte> buffer)
                {
                    var h = buffer.Pin();
                    try { } finally { h.
                }
            }
            """);
}
