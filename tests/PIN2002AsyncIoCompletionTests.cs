using Xunit;
using VerifyFixed = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;
using VerifyHandle = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;
using VerifyMemory = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MemoryHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN2002 and asynchronous requests that finish inside the pin (issue 12): a retaining call that starts overlapped I/O,
/// an <c>aio_*</c> request, an io_uring submission, a registration or a task is not an escape when, on every normal path
/// from the call to the end of the pin, a wait tied to that request finishes it — or the call itself reports that it
/// completed synchronously (or never started). A path that leaves the pin first is reported, and the message names it.
/// </summary>
public sealed class PIN2002AsyncIoCompletionTests
{
    private const string Win32 = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using System.Runtime.InteropServices;

        unsafe static class Kernel32
        {
            public const uint INFINITE = 0xFFFFFFFF;
            public const uint WAIT_OBJECT_0 = 0;
            public const int ERROR_IO_PENDING = 997;

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool ReadFile(IntPtr file, byte* buffer, int count, IntPtr read, NativeOverlapped* overlapped);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool WriteFile(IntPtr file, byte* buffer, int count, out int written, ref NativeOverlapped overlapped);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool DeviceIoControl(IntPtr device, uint code, void* input, int inputSize, void* output, int outputSize, out int returned, NativeOverlapped* overlapped);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool GetOverlappedResult(IntPtr file, NativeOverlapped* overlapped, out int transferred, bool wait);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool GetOverlappedResultEx(IntPtr file, NativeOverlapped* overlapped, out int transferred, uint milliseconds, bool alertable);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool CancelIoEx(IntPtr file, NativeOverlapped* overlapped);

            [DllImport("kernel32", SetLastError = true)]
            public static extern uint WaitForSingleObject(IntPtr handle, uint milliseconds);

            // Simplified: the real lpBuffers is a WSABUF array whose buffers are kept.
            [DllImport("ws2_32", SetLastError = true)]
            public static extern int WSARecv(IntPtr socket, byte* buffers, int count, IntPtr received, ref int flags, NativeOverlapped* overlapped, IntPtr completion);
        }

        """;

    private const string Linux = """
        using System;
        using System.Runtime.InteropServices;

        [StructLayout(LayoutKind.Sequential)]
        struct Aiocb
        {
            public int Fd;
            public IntPtr Buffer;
            public nint Count;
        }

        [StructLayout(LayoutKind.Sequential)]
        struct IoVec
        {
            public IntPtr Base;
            public nuint Length;
        }

        struct Ring
        {
            public IntPtr Queue;
        }

        unsafe static class Native
        {
            public const int EINPROGRESS = 115;

            [DllImport("rt")] public static extern int aio_read(Aiocb* control);
            [DllImport("rt")] public static extern int aio_error(Aiocb* control);
            [DllImport("rt")] public static extern nint aio_return(Aiocb* control);
            [DllImport("rt")] public static extern int aio_suspend(Aiocb** list, int count, void* timeout);
            [DllImport("uring")] public static extern IntPtr io_uring_get_sqe(Ring* ring);
            [DllImport("uring")] public static extern void io_uring_prep_read(IntPtr sqe, int fd, byte* buffer, uint count, ulong offset);
            [DllImport("uring")] public static extern int io_uring_submit(Ring* ring);
            [DllImport("uring")] public static extern int io_uring_submit_and_wait(Ring* ring, uint waitCount);
            [DllImport("uring")] public static extern int io_uring_wait_cqe(Ring* ring, IntPtr* cqe);
            [DllImport("uring")] public static extern int io_uring_register_buffers(Ring* ring, IoVec* iovecs, uint count);
            [DllImport("uring")] public static extern int io_uring_unregister_buffers(Ring* ring);
            [DllImport("ibverbs")] public static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);
            [DllImport("ibverbs")] public static extern int ibv_dereg_mr(IntPtr mr);
        }

        """;

    private const string Attribute = """

        sealed class RetainsPointerAttribute : System.Attribute
        {
        }
        """;

    private const string Pending = ": the I/O may still be pending when ";

    // ---- GetOverlappedResult(bWait: TRUE) ----

    [Fact]
    public Task GetOverlappedResultWithWaitFinishesTheRead()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped);
                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, true);
                        return read;
                    }
                }
            }
            """);

    [Fact]
    public Task GetOverlappedResultWithoutWaitIsReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, false);
                        return read;
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends via 'return'"));

    [Fact]
    public Task WaitForAnotherOverlappedIsReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Read(IntPtr file, byte[] buffer, NativeOverlapped* other)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                        Kernel32.GetOverlappedResult(file, other, out _, true);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends"));

    [Fact]
    public Task OverlappedPointerAliasesAndRefArgumentsAreTheSameRequest()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe sealed class Device
            {
                public int Write(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        Kernel32.WriteFile(file, p, buffer.Length, out _, ref overlapped);
                        NativeOverlapped* o = &overlapped;
                        Kernel32.GetOverlappedResult(file, o, out var written, true);
                        return written;
                    }
                }

                public int Control(IntPtr device, byte[] output, NativeOverlapped* overlapped)
                {
                    NativeOverlapped* pending = overlapped;
                    fixed (byte* p = output)
                    {
                        Kernel32.DeviceIoControl(device, 0x22000, null, 0, p, output.Length, out _, pending);
                        Kernel32.GetOverlappedResult(device, overlapped, out var returned, wait: true);
                        return returned;
                    }
                }
            }
            """);

    // ---- cancel, then wait, in a finally inside the fixed statement ----

    [Fact]
    public Task CancelThenWaitInFinallyFinishesEveryPath()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer, CancellationToken token)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        try
                        {
                            if (!Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped)
                                && Marshal.GetLastWin32Error() != Kernel32.ERROR_IO_PENDING)
                            {
                                return -1;
                            }

                            if (token.IsCancellationRequested)
                            {
                                return 0;
                            }

                            Kernel32.GetOverlappedResult(file, &overlapped, out var read, true);
                            return read;
                        }
                        finally
                        {
                            Kernel32.CancelIoEx(file, &overlapped);
                            Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task CancelWithoutWaitInFinallyIsReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer, CancellationToken token)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        try
                        {
                            Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                            if (token.IsCancellationRequested)
                            {
                                return 0;
                            }

                            Kernel32.GetOverlappedResult(file, &overlapped, out var read, true);
                            return read;
                        }
                        finally
                        {
                            // Cancelling only asks: the kernel may still be writing into the buffer.
                            Kernel32.CancelIoEx(file, &overlapped);
                        }
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends via 'return'"));

    [Fact]
    public Task WaitInFinallyOutsideTheFixedStatementComesTooLate()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    try
                    {
                        fixed (byte* p = buffer)
                        {
                            Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                        }
                    }
                    finally
                    {
                        Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends"));

    // ---- GetOverlappedResultEx ----

    [Fact]
    public Task GetOverlappedResultExWithInfiniteTimeoutFinishesTheRequest()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Device
            {
                public static int Query(IntPtr device, byte[] output)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = output)
                    {
                        Kernel32.DeviceIoControl(device, 0x22000, null, 0, p, output.Length, out _, &overlapped);
                        Kernel32.GetOverlappedResultEx(device, &overlapped, out var returned, Kernel32.INFINITE, false);
                        return returned;
                    }
                }
            }
            """);

    [Fact]
    public Task GetOverlappedResultExWithTimeoutIsReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Device
            {
                public static int Query(IntPtr device, byte[] output)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = output)
                    {
                        Kernel32.DeviceIoControl(device, 0x22000, null, 0, {|#0:p|}, output.Length, out _, &overlapped);
                        Kernel32.GetOverlappedResultEx(device, &overlapped, out var returned, 1000, false);
                        return returned;
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("DeviceIoControl", Pending + "the fixed statement ends via 'return'"));

    [Fact]
    public Task GetOverlappedResultExWithTimeoutThatReportedCompletionFinishesThatPath()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Device
            {
                public static int Query(IntPtr device, byte[] output)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = output)
                    {
                        Kernel32.DeviceIoControl(device, 0x22000, null, 0, p, output.Length, out _, &overlapped);
                        if (!Kernel32.GetOverlappedResultEx(device, &overlapped, out var returned, 1000, false))
                        {
                            Kernel32.CancelIoEx(device, &overlapped);
                            Kernel32.GetOverlappedResult(device, &overlapped, out returned, true);
                        }

                        return returned;
                    }
                }
            }
            """);

    // ---- a wait on the OVERLAPPED's event, then GetOverlappedResult ----

    [Fact]
    public Task WaitForSingleObjectOnTheEventThenGetOverlappedResult()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer, IntPtr completed)
                {
                    var overlapped = new NativeOverlapped();
                    overlapped.EventHandle = completed;
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped);
                        Kernel32.WaitForSingleObject(overlapped.EventHandle, Kernel32.INFINITE);
                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, false);
                        return read;
                    }
                }

                public static int ReadWithLocalEvent(IntPtr file, byte[] buffer, IntPtr completed)
                {
                    var overlapped = new NativeOverlapped { EventHandle = completed };
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped);
                        Kernel32.WaitForSingleObject(completed, Kernel32.INFINITE);
                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, false);
                        return read;
                    }
                }
            }
            """);

    [Fact]
    public Task WaitHandleWaitOneOnTheEventThenGetOverlappedResult()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer)
                {
                    using var completed = new ManualResetEvent(false);
                    var overlapped = new NativeOverlapped { EventHandle = completed.SafeWaitHandle.DangerousGetHandle() };
                    fixed (byte* p = buffer)
                    {
                        if (!Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped))
                        {
                            completed.WaitOne();
                        }

                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, false);
                        return read;
                    }
                }
            }
            """);

    [Fact]
    public Task EventThatSignaledInTimeThenGetOverlappedResult()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer, ManualResetEvent completed)
                {
                    var overlapped = new NativeOverlapped();
                    overlapped.EventHandle = completed.SafeWaitHandle.DangerousGetHandle();
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped);
                        if (!completed.WaitOne(5000))
                        {
                            Kernel32.CancelIoEx(file, &overlapped);
                            Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                            return 0;
                        }

                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, false);
                        return read;
                    }
                }
            }
            """);

    [Fact]
    public Task WaitOnAnUnrelatedEventIsReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer, ManualResetEvent somethingElse)
                {
                    using var completed = new ManualResetEvent(false);
                    var overlapped = new NativeOverlapped { EventHandle = completed.SafeWaitHandle.DangerousGetHandle() };
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                        somethingElse.WaitOne();
                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, false);
                        return read;
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends via 'return'"));

    [Fact]
    public Task BoundedEventWaitThatIsNotCheckedIsReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer, IntPtr completed)
                {
                    var overlapped = new NativeOverlapped { EventHandle = completed };
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                        Kernel32.WaitForSingleObject(completed, 100);
                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, false);
                        return read;
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends via 'return'"));

    [Fact]
    public Task EventWaitWithoutGetOverlappedResultIsReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Read(IntPtr file, byte[] buffer, IntPtr completed)
                {
                    var overlapped = new NativeOverlapped { EventHandle = completed };
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                        Kernel32.WaitForSingleObject(completed, Kernel32.INFINITE);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends"));

    // ---- synchronous completion, and calls that never started ----

    [Fact]
    public Task SynchronousCompletionLeavesWithoutWaiting()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        if (Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped))
                        {
                            return buffer.Length;
                        }

                        if (Marshal.GetLastWin32Error() != Kernel32.ERROR_IO_PENDING)
                        {
                            // Failed outright: nothing is pending.
                            return -1;
                        }

                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, true);
                        return read;
                    }
                }
            }
            """);

    [Fact]
    public Task SynchronousCompletionKeptInALocal()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Writer
            {
                public static int Write(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        bool done = Kernel32.WriteFile(file, p, buffer.Length, out var written, ref overlapped);
                        if (!done)
                        {
                            var error = Marshal.GetLastWin32Error();
                            if (error != Kernel32.ERROR_IO_PENDING)
                            {
                                return -1;
                            }

                            done = Kernel32.GetOverlappedResult(file, &overlapped, out written, true);
                        }

                        return done ? written : -1;
                    }
                }
            }
            """);

    [Fact]
    public Task WinsockZeroMeansCompletedSynchronously()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Socket
            {
                public static void Receive(IntPtr socket, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    var flags = 0;
                    fixed (byte* p = buffer)
                    {
                        int result = Kernel32.WSARecv(socket, p, 1, IntPtr.Zero, ref flags, &overlapped, IntPtr.Zero);
                        if (result == 0)
                        {
                            return;
                        }

                        Kernel32.GetOverlappedResult(socket, &overlapped, out _, true);
                    }
                }
            }
            """);

    [Fact]
    public Task PendingPathNextToASynchronousOneIsReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        if (Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped))
                        {
                            return;
                        }
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends"));

    [Fact]
    public Task FailureThatIsNotPendingReturnsButPendingOneReturnsToo()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        if (!Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped))
                        {
                            return Marshal.GetLastWin32Error() == Kernel32.ERROR_IO_PENDING ? 0 : -1;
                        }

                        return buffer.Length;
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends via 'return'"));

    // ---- the message names the path ----

    [Fact]
    public Task BreakAndContinueOutOfTheFixedStatementAreNamed()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void ReadAll(IntPtr file, byte[][] buffers, bool stop)
                {
                    var overlapped = new NativeOverlapped();
                    foreach (var buffer in buffers)
                    {
                        fixed (byte* p = buffer)
                        {
                            Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                            if (stop)
                            {
                                break;
                            }

                            Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                        }
                    }
                }

                public static void ReadSome(IntPtr file, byte[][] buffers, bool[] skip)
                {
                    var overlapped = new NativeOverlapped();
                    for (var i = 0; i < buffers.Length; i++)
                    {
                        fixed (byte* p = buffers[i])
                        {
                            Kernel32.ReadFile(file, {|#1:p|}, buffers[i].Length, IntPtr.Zero, &overlapped);
                            if (skip[i]) continue;
                            Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                        }
                    }
                }

                public static void ReadEach(IntPtr file, byte[][] buffers)
                {
                    var overlapped = new NativeOverlapped();
                    foreach (var buffer in buffers)
                    {
                        fixed (byte* p = buffer)
                        {
                            Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped);
                            Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                        }
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends via 'break'"),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(1).WithArguments("ReadFile", Pending + "the fixed statement ends via 'continue'"));

    [Fact]
    public Task VoidReturnIsNamed()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Read(IntPtr file, byte[] buffer, bool quick)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                        if (quick)
                        {
                            Console.WriteLine("not waiting");
                            return;
                        }

                        Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends via 'return'"));

    [Fact]
    public Task ExceptionalPathsBetweenCallAndWaitAreNotReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        if (!Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped)
                            && Marshal.GetLastWin32Error() != Kernel32.ERROR_IO_PENDING)
                        {
                            throw new System.ComponentModel.Win32Exception();
                        }

                        Console.WriteLine("waiting");
                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, true);
                        return read;
                    }
                }
            }
            """);

    [Fact]
    public Task RequestInALambdaIsJudgedInTheLambda()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static Func<int> Later(IntPtr file, byte[] buffer) => () =>
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped);
                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, true);
                        return read;
                    }
                };

                public static Action Forgetful(IntPtr file, byte[] buffer) => () =>
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        Kernel32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
                    }
                };
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "the fixed statement ends"));

    // ---- POSIX aio ----

    [Fact]
    public Task AioErrorLoopFinishesTheRequest()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static nint Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var control = new Aiocb { Fd = fd, Buffer = (IntPtr)p, Count = buffer.Length };
                        if (Native.aio_read(&control) != 0)
                        {
                            // Not queued: nothing to wait for.
                            return -1;
                        }

                        while (Native.aio_error(&control) == Native.EINPROGRESS)
                        {
                        }

                        return Native.aio_return(&control);
                    }
                }
            }
            """);

    [Fact]
    public Task AioErrorCheckedOnceIsReported()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static nint Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var control = new Aiocb { Fd = fd, Buffer = (IntPtr)p, Count = buffer.Length };
                        Native.aio_read({|#0:&control|});
                        if (Native.aio_error(&control) == Native.EINPROGRESS)
                        {
                            return 0;
                        }

                        return Native.aio_return(&control);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("aio_read", Pending + "the fixed statement ends via 'return'"));

    [Fact]
    public Task AioSuspendOnTheRequestFinishesIt()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static nint Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var control = new Aiocb { Fd = fd, Buffer = (IntPtr)p, Count = buffer.Length };
                        Aiocb* pending = &control;
                        Native.aio_read(pending);
                        Native.aio_suspend(&pending, 1, null);
                        return Native.aio_return(&control);
                    }
                }

                public static void ReadWithList(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var control = new Aiocb { Fd = fd, Buffer = (IntPtr)p, Count = buffer.Length };
                        Native.aio_read(&control);
                        Aiocb** list = stackalloc Aiocb*[] { &control };
                        Native.aio_suspend(list, 1, null);
                    }
                }
            }
            """);

    [Fact]
    public Task AioSuspendOnAnotherRequestOrWithATimeoutIsReported()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static void Read(int fd, byte[] buffer, Aiocb* other, void* timeout)
                {
                    fixed (byte* p = buffer)
                    {
                        var control = new Aiocb { Fd = fd, Buffer = (IntPtr)p, Count = buffer.Length };
                        Native.aio_read({|#0:&control|});
                        Native.aio_suspend(&other, 1, null);
                    }
                }

                public static void ReadWithTimeout(int fd, byte[] buffer, void* timeout)
                {
                    fixed (byte* p = buffer)
                    {
                        var control = new Aiocb { Fd = fd, Buffer = (IntPtr)p, Count = buffer.Length };
                        Aiocb* pending = &control;
                        Native.aio_read({|#1:pending|});
                        Native.aio_suspend(&pending, 1, timeout);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("aio_read", Pending + "the fixed statement ends"),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(1).WithArguments("aio_read", Pending + "the fixed statement ends"));

    // ---- io_uring ----

    [Fact]
    public Task IoUringWaitOnTheSameRingFinishesTheSubmission()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static void Read(Ring* ring, int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var sqe = Native.io_uring_get_sqe(ring);
                        Native.io_uring_prep_read(sqe, fd, p, (uint)buffer.Length, 0);
                        Native.io_uring_submit(ring);
                        IntPtr cqe;
                        Native.io_uring_wait_cqe(ring, &cqe);
                    }
                }

                public static void ReadAndWait(Ring* ring, int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        Native.io_uring_prep_read(Native.io_uring_get_sqe(ring), fd, p, (uint)buffer.Length, 0);
                        Native.io_uring_submit_and_wait(ring, 1);
                    }
                }
            }
            """);

    [Fact]
    public Task IoUringSubmitWithoutWaitOrWaitOnAnotherRingIsReported()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static void Read(Ring* ring, int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var sqe = Native.io_uring_get_sqe(ring);
                        Native.io_uring_prep_read(sqe, fd, {|#0:p|}, (uint)buffer.Length, 0);
                        Native.io_uring_submit(ring);
                        Native.io_uring_submit_and_wait(ring, 0);
                    }
                }

                public static void ReadOther(Ring* ring, Ring* other, int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var sqe = Native.io_uring_get_sqe(ring);
                        Native.io_uring_prep_read(sqe, fd, {|#1:p|}, (uint)buffer.Length, 0);
                        IntPtr cqe;
                        Native.io_uring_wait_cqe(other, &cqe);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("io_uring_prep_read", Pending + "the fixed statement ends"),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(1).WithArguments("io_uring_prep_read", Pending + "the fixed statement ends"));

    // ---- registrations torn down inside the pin ----

    [Fact]
    public Task RegistrationTornDownBeforeThePinEnds()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Rdma
            {
                public static void Transfer(IntPtr pd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var mr = Native.ibv_reg_mr(pd, p, (nuint)buffer.Length, 1);
                        if (mr == IntPtr.Zero)
                        {
                            return;
                        }

                        try
                        {
                            Console.WriteLine("post and poll");
                        }
                        finally
                        {
                            Native.ibv_dereg_mr(mr);
                        }
                    }
                }

                public static void Fixed(Ring* ring, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var vector = new IoVec { Base = (IntPtr)p, Length = (nuint)buffer.Length };
                        if (Native.io_uring_register_buffers(ring, &vector, 1) != 0)
                        {
                            return;
                        }

                        Native.io_uring_unregister_buffers(ring);
                    }
                }
            }
            """);

    [Fact]
    public Task RegistrationLeftActiveOnAPathIsReported()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Rdma
            {
                public static int Transfer(IntPtr pd, byte[] buffer, bool abort)
                {
                    fixed (byte* p = buffer)
                    {
                        var mr = Native.ibv_reg_mr(pd, {|#0:p|}, (nuint)buffer.Length, 1);
                        if (abort)
                        {
                            return -1;
                        }

                        Native.ibv_dereg_mr(mr);
                        return 0;
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ibv_reg_mr", ": the registration may still be active when the fixed statement ends via 'return'"));

    // ---- a blocking wait on the task that does the I/O ----

    private const string AsyncDevice = """
        using System;
        using System.Threading.Tasks;
        using System.Runtime.InteropServices;

        unsafe static class Device
        {
            [RetainsPointer]
            public static Task<int> ReadAsync(byte* buffer, int length) => Task.FromResult(length);

            [RetainsPointer]
            public static ValueTask<int> ReadAsync(IntPtr buffer, int length) => new(length);
        }

        """;

    [Fact]
    public Task BlockingWaitOnTheTaskFinishesIt()
        => VerifyFixed.VerifyAsync(AsyncDevice + """
            unsafe static class Reader
            {
                public static void Wait(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var read = Device.ReadAsync(p, buffer.Length);
                        read.Wait();
                    }
                }

                public static int Result(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        Task<int> read;
                        read = Device.ReadAsync(p, buffer.Length);
                        return read.Result;
                    }
                }

                public static int InPlace(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        return Device.ReadAsync(p, buffer.Length).ConfigureAwait(false).GetAwaiter().GetResult();
                    }
                }

                public static int ValueTaskInPlace(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        return Device.ReadAsync((IntPtr)p, buffer.Length).GetAwaiter().GetResult();
                    }
                }

                public static void WaitAll(byte[] first, byte[] second)
                {
                    fixed (byte* p = first)
                    fixed (byte* q = second)
                    {
                        var one = Device.ReadAsync(p, first.Length);
                        var two = Device.ReadAsync(q, second.Length);
                        Task.WaitAll(one, two);
                    }
                }

                public static int WaitedInTime(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var read = Device.ReadAsync(p, buffer.Length);
                        if (read.Wait(1000))
                        {
                            return read.Result;
                        }

                        read.Wait();
                        return -1;
                    }
                }
            }
            """ + Attribute);

    [Fact]
    public Task TaskNotWaitedForIsReported()
        => VerifyFixed.VerifyAsync(AsyncDevice + """
            unsafe static class Reader
            {
                public static Task<int> Start(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        return Device.ReadAsync({|#0:p|}, buffer.Length);
                    }
                }

                public static void Timeout(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var read = Device.ReadAsync({|#1:p|}, buffer.Length);
                        read.Wait(1000);
                    }
                }

                public static void Other(byte[] buffer, Task other)
                {
                    fixed (byte* p = buffer)
                    {
                        var read = Device.ReadAsync({|#2:p|}, buffer.Length);
                        other.Wait();
                    }
                }
            }
            """ + Attribute,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadAsync", ": the task may still be running when the fixed statement ends via 'return'"),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(1).WithArguments("ReadAsync", ": the task may still be running when the fixed statement ends"),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(2).WithArguments("ReadAsync", ": the task may still be running when the fixed statement ends"));

    // ---- handle pins freed after the wait ----

    [Fact]
    public Task HandleFreedAfterGetOverlappedResult()
        => VerifyHandle.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        if (Kernel32.ReadFile(file, (byte*)handle.AddrOfPinnedObject(), buffer.Length, IntPtr.Zero, &overlapped))
                        {
                            return buffer.Length;
                        }

                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, true);
                        return read;
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task HandleFreedBeforeTheWaitOnAPathIsReported()
        => VerifyHandle.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer, bool quick)
                {
                    var overlapped = new NativeOverlapped();
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        Kernel32.ReadFile(file, {|#0:(byte*)handle.AddrOfPinnedObject()|}, buffer.Length, IntPtr.Zero, &overlapped);
                        if (quick)
                        {
                            return 0;
                        }

                        Kernel32.GetOverlappedResult(file, &overlapped, out var read, true);
                        return read;
                    }
                    finally
                    {
                        handle.Free();
                    }
                }

                public static void Straight(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    Kernel32.ReadFile(file, {|#1:(byte*)handle.AddrOfPinnedObject()|}, buffer.Length, IntPtr.Zero, &overlapped);
                    handle.Free();
                    Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "'handle' is freed via 'return'"),
            VerifyHandle.Diagnostic("PIN2002").WithLocation(1).WithArguments("ReadFile", Pending + "'handle' is freed"));

    [Fact]
    public Task HandleWaitThenFreeInTheSameFinally()
        => VerifyHandle.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Read(IntPtr file, byte[] buffer, bool quick)
                {
                    var overlapped = new NativeOverlapped();
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        Kernel32.ReadFile(file, (byte*)handle.AddrOfPinnedObject(), buffer.Length, IntPtr.Zero, &overlapped);
                        if (quick)
                        {
                            return;
                        }

                        Console.WriteLine("working");
                    }
                    finally
                    {
                        Kernel32.CancelIoEx(file, &overlapped);
                        Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                        if (handle.IsAllocated)
                        {
                            handle.Free();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task HandleFreedBeforeTheWaitInTheSameFinallyIsReported()
        => VerifyHandle.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        Kernel32.ReadFile(file, {|#0:(byte*)handle.AddrOfPinnedObject()|}, buffer.Length, IntPtr.Zero, &overlapped);
                    }
                    finally
                    {
                        handle.Free();
                        Kernel32.GetOverlappedResult(file, &overlapped, out _, true);
                    }
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", Pending + "'handle' is freed"));

    [Fact]
    public Task HandleWithEventWaitAndAio()
        => VerifyHandle.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static nint Read(int fd, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        var control = new Aiocb { Fd = fd, Buffer = handle.AddrOfPinnedObject(), Count = buffer.Length };
                        Native.aio_read(&control);
                        while (Native.aio_error(&control) == Native.EINPROGRESS)
                        {
                        }

                        return Native.aio_return(&control);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task TypedHandleDisposedAfterTheTask()
        => VerifyHandle.VerifyAsync(AsyncDevice + """
            static class Reader
            {
                public static int Read(byte[] buffer)
                {
                    using var handle = new PinnedGCHandle<byte[]>(buffer);
                    unsafe
                    {
                        return Device.ReadAsync((IntPtr)handle.GetAddressOfArrayData(), buffer.Length).GetAwaiter().GetResult();
                    }
                }
            }
            """ + Attribute);

    [Fact]
    public Task MemoryHandleDisposedAfterTheAwait()
        => VerifyMemory.VerifyAsync(AsyncDevice + """
            static class Reader
            {
                public static async Task<int> Read(Memory<byte> memory)
                {
                    var pin = memory.Pin();
                    try
                    {
                        IntPtr address;
                        unsafe { address = (IntPtr)pin.Pointer; }
                        return await Device.ReadAsync(address, memory.Length);
                    }
                    finally
                    {
                        pin.Dispose();
                    }
                }
            }
            """ + Attribute);

    [Fact]
    public Task MemoryHandleDisposedBeforeTheTaskFinishesIsReported()
        => VerifyMemory.VerifyAsync(AsyncDevice + """
            static class Reader
            {
                public static ValueTask<int> Read(Memory<byte> memory)
                {
                    using (var pin = memory.Pin())
                    {
                        unsafe
                        {
                            return Device.ReadAsync({|#0:(IntPtr)pin.Pointer|}, memory.Length);
                        }
                    }
                }
            }
            """ + Attribute,
            VerifyMemory.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadAsync", ": the task may still be running when 'pin' is disposed via 'return'"));

    [Fact]
    public Task TaskAwaitedAfterTheHandleIsDisposedIsReported()
        => VerifyHandle.VerifyAsync(AsyncDevice + """
            static class Reader
            {
                public static async Task<int> Read(byte[] buffer)
                {
                    ValueTask<int> read;
                    using (var handle = new PinnedGCHandle<byte[]>(buffer))
                    {
                        unsafe
                        {
                            read = Device.ReadAsync({|#0:(IntPtr)handle.GetAddressOfArrayData()|}, buffer.Length);
                        }
                    }

                    return await read;
                }
            }
            """ + Attribute,
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadAsync", ": the task may still be running when 'handle' is disposed"));

    [Fact]
    public Task HandleWaitedButNotFreedOnEveryPathIsALeakNotAnEscape()
        => VerifyHandle.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static int Read(IntPtr file, byte[] buffer, bool keep)
                {
                    var overlapped = new NativeOverlapped();
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    Kernel32.ReadFile(file, (byte*)handle.AddrOfPinnedObject(), buffer.Length, IntPtr.Zero, &overlapped);
                    Kernel32.GetOverlappedResult(file, &overlapped, out var read, true);
                    if (keep)
                    {
                        return read;
                    }

                    handle.Free();
                    return read;
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN1002").WithLocation(0).WithArguments("is not freed on every path"));

    // ---- broken code ----

    [Fact]
    public Task HalfTypedWaitDoesNotCrash()
        => VerifyFixed.VerifyNoCrashAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Read(IntPtr file, byte[] buffer)
                {
                    var overlapped = new NativeOverlapped();
                    fixed (byte* p = buffer)
                    {
                        if (!Kernel32.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped) && Marshal.GetLastWin32Error() !=
                        Kernel32.GetOverlappedResult(file, &overlapped, out , );
                        Kernel32.WaitForSingleObject(overlapped., Kernel32.INFINITE)
                    }
            """,
            "PIN2001");

    [Fact]
    public Task HalfTypedAioLoopDoesNotCrash()
        => VerifyHandle.VerifyNoCrashAsync(Linux + """
            unsafe static class Io
            {
                public static void Read(int fd, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    var control = new Aiocb { Fd = fd, Buffer = handle.AddrOfPinnedObject() };
                    Native.aio_read(&control);
                    while (Native.aio_error( == )
                    handle.Free(
                }
            }
            """,
            "PIN1004", "PIN1005");
}
