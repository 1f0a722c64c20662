using Xunit;
using VerifyFixed = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;
using VerifyHandle = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN2002 (DESIGN.md, "Retaining calls"): a pointer whose pin ends in the method — a <c>fixed</c> pointer, or the
/// address of a handle released before the method returns — passed to a call that keeps it. Reported on the argument,
/// naming the call. A handle that is not released and reaches a retaining call is PIN1001 instead.
/// Some native declarations are simplified (a buffer pointer where the real API takes a descriptor): the rule is
/// about which call the pointer reaches, not about the exact native signature.
/// </summary>
public sealed class PIN2002PointerPassedToRetainingCallTests
{
    private const string Attribute = """

        sealed class RetainsPointerAttribute : System.Attribute
        {
        }
        """;

    // ---- RetainsPointerAttribute ----

    [Fact]
    public Task AttributeOnMethod()
        => VerifyFixed.VerifyAsync("""
            unsafe sealed class Ring
            {
                [RetainsPointer]
                public void Submit(byte* buffer, int length) { }
            }

            unsafe static class Sender
            {
                public static void Send(Ring ring, byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        ring.Submit({|#0:p|}, data.Length);
                    }
                }
            }
            """ + Attribute,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""));

    [Fact]
    public Task AttributeOnParameter()
        => VerifyFixed.VerifyAsync("""
            unsafe static class Ring
            {
                public static void Submit([RetainsPointer] byte* buffer, int length) { }
            }

            unsafe static class Sender
            {
                public static void Send(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        Ring.Submit({|#0:p + 4|}, data.Length - 4);
                    }
                }
            }
            """ + Attribute,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""));

    [Fact]
    public Task AttributeOnAnotherParameterDoesNotRetainThisOne()
        => VerifyFixed.VerifyAsync("""
            unsafe static class Ring
            {
                public static void Submit(byte* buffer, int length, [RetainsPointer] void* context) { }
            }

            unsafe static class Sender
            {
                public static void Send(byte[] data, void* context)
                {
                    fixed (byte* p = data)
                    {
                        Ring.Submit(p, data.Length, context);
                    }
                }
            }
            """ + Attribute);

    [Fact]
    public Task AttributeDeclaredInAnyNamespace()
        => VerifyFixed.VerifyAsync("""
            using System;
            using Acme.Interop.Annotations;

            namespace Acme.Interop.Annotations
            {
                [AttributeUsage(AttributeTargets.Method | AttributeTargets.Parameter)]
                internal sealed class RetainsPointerAttribute : Attribute
                {
                }
            }

            namespace Acme.Io
            {
                unsafe static class Ring
                {
                    [RetainsPointer]
                    public static void Register(IntPtr buffer, int length) { }

                    public static void Send(byte[] data)
                    {
                        fixed (byte* p = data)
                        {
                            Register({|#0:(IntPtr)p|}, data.Length);
                        }
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Register", ""));

    [Fact]
    public Task DerivedPointerCopyPassedToAttributedMethod()
        => VerifyFixed.VerifyAsync("""
            unsafe static class Ring
            {
                [RetainsPointer]
                public static void Submit(long* buffer) { }

                public static void Send(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        var q = (long*)(p + 8);
                        Submit({|#0:q|});
                    }
                }
            }
            """ + Attribute,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""));

    [Fact]
    public Task AttributeOnConstructor()
        => VerifyFixed.VerifyAsync("""
            unsafe sealed class Registration
            {
                [RetainsPointer]
                public Registration(byte* buffer, int length) { }
            }

            unsafe static class Sender
            {
                public static Registration Register(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        return new Registration({|PIN2002:p|}, data.Length);
                    }
                }
            }
            """ + Attribute);

    // ---- .editorconfig pin_analyzers.retaining_methods ----

    private const string ConfiguredRing = """
        namespace Acme.Io
        {
            unsafe sealed class Ring
            {
                public void Submit(byte* buffer, int length) { }
            }

            unsafe sealed class Other
            {
                public void Submit(byte* buffer, int length) { }
            }

            unsafe static class Sender
            {
                public static void Send(Ring ring, Other other, byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        ring.Submit(MARK_RING, data.Length);
                        other.Submit(MARK_OTHER, data.Length);
                    }
                }
            }
        }
        """;

    [Fact]
    public Task ConfigBareMethodName()
        => VerifyFixed.VerifyWithConfigAsync(
            ConfiguredRing.Replace("MARK_RING", "{|#0:p|}").Replace("MARK_OTHER", "{|#1:p|}"),
            "pin_analyzers.retaining_methods = Submit\n",
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(1).WithArguments("Submit", ""));

    [Fact]
    public Task ConfigQualifiedMethodName()
        => VerifyFixed.VerifyWithConfigAsync(
            ConfiguredRing.Replace("MARK_RING", "{|#0:p|}").Replace("MARK_OTHER", "p"),
            "pin_analyzers.retaining_methods = Acme.Io.Ring.Submit\n",
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""));

    [Fact]
    public Task ConfigListWithSpaces()
        => VerifyFixed.VerifyWithConfigAsync(
            ConfiguredRing.Replace("MARK_RING", "p").Replace("MARK_OTHER", "{|#0:p|}"),
            "pin_analyzers.retaining_methods = Acme.Io.Nothing.Here , Acme.Io.Other.Submit,  Enqueue2\n",
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""));

    [Fact]
    public Task ConfigQualifiedNameOfNestedType()
        => VerifyFixed.VerifyWithConfigAsync("""
            namespace Acme.Io
            {
                unsafe static class Device
                {
                    public static class Queue
                    {
                        public static void Submit(byte* buffer, int length) { }
                    }

                    public static void Submit(byte* buffer, int length) { }

                    public static void Send(byte[] data)
                    {
                        fixed (byte* p = data)
                        {
                            Queue.Submit({|#0:p|}, data.Length);
                            Submit(p, data.Length);
                        }
                    }
                }
            }
            """,
            "pin_analyzers.retaining_methods = Acme.Io.Device.Queue.Submit\n",
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""));

    [Fact]
    public Task WithoutConfigSimilarMethodsAreNotRetaining()
        => VerifyFixed.VerifyAsync(ConfiguredRing.Replace("MARK_RING", "p").Replace("MARK_OTHER", "p"));

    [Fact]
    public Task MalformedConfigFallsBackToDefaults()
        => VerifyFixed.VerifyWithConfigAsync("""
            using System;
            using System.Runtime.InteropServices;

            namespace Acme.Io
            {
                unsafe sealed class Ring
                {
                    public void Submit(byte* buffer, int length) { }
                }

                unsafe static class Sender
                {
                    [DllImport("ibverbs")] private static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);

                    public static void Send(Ring ring, IntPtr pd, byte[] data)
                    {
                        fixed (byte* p = data)
                        {
                            ring.Submit(p, data.Length);
                            ibv_reg_mr(pd, {|#0:p|}, (nuint)data.Length, 1);
                        }
                    }
                }
            }
            """,
            "pin_analyzers.retaining_methods = Acme..Ring.Submit, Submit(byte*), 42, ;\n",
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ibv_reg_mr", ": the registration may still be active when the fixed statement ends"));

    [Fact]
    public Task MalformedConfigDoesNotCrashHandleAnalyzer()
        => VerifyHandle.VerifyWithConfigAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Sender
            {
                [DllImport("ibverbs")] private static extern IntPtr ibv_reg_mr(IntPtr pd, IntPtr addr, nuint length, int access);

                public static void Send(IntPtr pd, byte[] data)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    try
                    {
                        ibv_reg_mr(pd, {|#0:handle.AddrOfPinnedObject()|}, (nuint)data.Length, 1);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            "pin_analyzers.retaining_methods = ,,.,\"Send\", *\n",
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("ibv_reg_mr", ": the registration may still be active when 'handle' is freed"));

    // ---- well-known APIs: Windows overlapped I/O ----

    private const string Win32 = """
        using System;
        using System.Threading;
        using System.Runtime.InteropServices;

        unsafe static partial class Win32
        {
            [DllImport("kernel32", SetLastError = true)]
            public static extern bool ReadFile(IntPtr file, byte* buffer, int count, IntPtr read, NativeOverlapped* overlapped);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool WriteFile(IntPtr file, byte* buffer, int count, IntPtr written, NativeOverlapped* overlapped);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool DeviceIoControl(IntPtr device, uint code, void* input, int inputSize, void* output, int outputSize, IntPtr returned, NativeOverlapped* overlapped);

            // Simplified: the real lpBuffers is a WSABUF array whose buffers are kept.
            [DllImport("ws2_32", SetLastError = true)]
            public static extern int WSARecv(IntPtr socket, byte* buffers, int count, IntPtr received, ref int flags, NativeOverlapped* overlapped, IntPtr completion);

            [DllImport("ws2_32", SetLastError = true)]
            public static extern int WSASend(IntPtr socket, byte* buffers, int count, IntPtr sent, int flags, NativeOverlapped* overlapped, IntPtr completion);
        }

        """;

    [Fact]
    public Task ReadFileWithOverlapped()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Start(IntPtr file, byte[] buffer, NativeOverlapped* overlapped)
                {
                    fixed (byte* p = buffer)
                    {
                        Win32.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, overlapped);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task WriteFileWithOverlapped()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Writer
            {
                public static void Start(IntPtr file, byte[] buffer, NativeOverlapped* overlapped)
                {
                    fixed (byte* p = &buffer[0])
                    {
                        Win32.WriteFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, overlapped);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("WriteFile", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task DeviceIoControlWithOverlapped()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Device
            {
                public static void Start(IntPtr device, byte[] output, NativeOverlapped* overlapped)
                {
                    fixed (byte* p = output)
                    {
                        Win32.DeviceIoControl(device, 0x22000, null, 0, {|#0:p|}, output.Length, IntPtr.Zero, overlapped);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("DeviceIoControl", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task WSARecvWithOverlapped()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Socket
            {
                public static void Receive(IntPtr socket, byte[] buffer, NativeOverlapped* overlapped)
                {
                    var flags = 0;
                    fixed (byte* p = buffer)
                    {
                        Win32.WSARecv(socket, {|#0:p|}, 1, IntPtr.Zero, ref flags, overlapped, IntPtr.Zero);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("WSARecv", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task WSASendWithOverlapped()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Socket
            {
                public static void Send(IntPtr socket, byte[] buffer, NativeOverlapped* overlapped)
                {
                    fixed (byte* p = buffer)
                    {
                        Win32.WSASend(socket, {|#0:p|}, 1, IntPtr.Zero, 0, overlapped, IntPtr.Zero);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("WSASend", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task StringDataCastAndPassedToWriteFileWithOverlapped()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Writer
            {
                public static void Start(IntPtr file, string text, NativeOverlapped* overlapped)
                {
                    fixed (char* c = text)
                    {
                        Win32.WriteFile(file, {|#0:(byte*)c|}, text.Length * 2, IntPtr.Zero, overlapped);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("WriteFile", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task ReadFileWithNullOverlappedIsSynchronous()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Read(IntPtr file, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        Win32.ReadFile(file, p, buffer.Length, IntPtr.Zero, null);
                        Win32.WriteFile(file, p, buffer.Length, IntPtr.Zero, default);
                        Win32.DeviceIoControl(file, 1, p, buffer.Length, null, 0, IntPtr.Zero, (NativeOverlapped*)null);
                    }
                }
            }
            """);

    [Fact]
    public Task ReadFileWithZeroOverlappedIsSynchronous()
        => VerifyFixed.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Reader
            {
                [DllImport("kernel32", SetLastError = true)]
                private static extern bool ReadFile(IntPtr file, byte* buffer, int count, out int read, IntPtr overlapped);

                public static int Read(IntPtr file, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        ReadFile(file, p, buffer.Length, out var read, IntPtr.Zero);
                        ReadFile(file, p, buffer.Length, out read, default);
                        ReadFile(file, p, buffer.Length, out read, default(IntPtr));
                        return read;
                    }
                }
            }
            """);

    [Fact]
    public Task ManagedReadFileWithoutOverlappedIsNotRetaining()
        => VerifyFixed.VerifyAsync("""
            unsafe static class Files
            {
                private static void ReadFile(string path, byte* buffer, int count) { }

                public static void Load(string path, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        ReadFile(path, p, buffer.Length);
                    }
                }
            }
            """);

    // ---- well-known APIs: POSIX aio, io_uring, RDMA verbs ----

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

        [StructLayout(LayoutKind.Sequential)]
        struct WorkRequest
        {
            public ulong Id;
            public IntPtr Sge;
            public int SgeCount;
        }

        unsafe static class Linux
        {
            [DllImport("rt")] public static extern int aio_read(Aiocb* control);
            [DllImport("rt")] public static extern int aio_write(Aiocb* control);
            [DllImport("rt")] public static extern int aio_error(Aiocb* control);
            [DllImport("rt")] public static extern nint aio_return(Aiocb* control);
            [DllImport("uring")] public static extern void io_uring_prep_read(IntPtr sqe, int fd, byte* buffer, uint count, ulong offset);
            [DllImport("uring")] public static extern void io_uring_prep_write(IntPtr sqe, int fd, byte* buffer, uint count, ulong offset);
            [DllImport("uring")] public static extern void io_uring_prep_readv(IntPtr sqe, int fd, IoVec* iovecs, uint count, ulong offset);
            [DllImport("uring")] public static extern int io_uring_register_buffers(IntPtr ring, IoVec* iovecs, uint count);
            [DllImport("uring")] public static extern int io_uring_submit(IntPtr ring);
            [DllImport("ibverbs")] public static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);
            [DllImport("ibverbs")] public static extern int ibv_post_send(IntPtr qp, WorkRequest* wr, out IntPtr badWr);
            [DllImport("ibverbs")] public static extern int ibv_post_recv(IntPtr qp, WorkRequest* wr, out IntPtr badWr);
            [DllImport("libc")] public static extern nint read(int fd, byte* buffer, nint count);
            [DllImport("libc")] public static extern nint write(int fd, byte* buffer, nint count);
            [DllImport("libc")] public static extern void* memcpy(void* destination, void* source, nuint count);
        }

        """;

    [Fact]
    public Task AioRead()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static void Start(Aiocb[] controls)
                {
                    fixed (Aiocb* control = controls)
                    {
                        Linux.aio_read({|#0:control|});
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("aio_read", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task AioWrite()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe sealed class Io
            {
                private Aiocb _control;

                public void Start()
                {
                    fixed (Aiocb* control = &_control)
                    {
                        Linux.aio_write({|#0:control|});
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("aio_write", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task IoUringPrepRead()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static void Queue(IntPtr sqe, int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        Linux.io_uring_prep_read(sqe, fd, {|#0:p|}, (uint)buffer.Length, 0);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("io_uring_prep_read", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task IoUringPrepWriteAndReadv()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static void Queue(IntPtr sqe, int fd, byte[] buffer, IoVec[] vectors)
                {
                    fixed (byte* p = buffer)
                    fixed (IoVec* v = vectors)
                    {
                        Linux.io_uring_prep_write(sqe, fd, {|#0:p + 512|}, 512, 0);
                        Linux.io_uring_prep_readv(sqe, fd, {|#1:v|}, (uint)vectors.Length, 0);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("io_uring_prep_write", ": the I/O may still be pending when the fixed statement ends"),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(1).WithArguments("io_uring_prep_readv", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task IoUringRegisterBuffers()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static int Register(IntPtr ring, IoVec[] vectors)
                {
                    fixed (IoVec* v = vectors)
                    {
                        return Linux.io_uring_register_buffers(ring, {|#0:v|}, (uint)vectors.Length);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("io_uring_register_buffers", ": the registration may still be active when the fixed statement ends via 'return'"));

    [Fact]
    public Task IbvRegMr()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Rdma
            {
                public static IntPtr Register(IntPtr pd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        return Linux.ibv_reg_mr(pd, {|#0:p|}, (nuint)buffer.Length, 7);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ibv_reg_mr", ": the registration may still be active when the fixed statement ends via 'return'"));

    [Fact]
    public Task IbvPostSendAndPostRecv()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Rdma
            {
                public static void Post(IntPtr qp, WorkRequest[] sends, WorkRequest[] receives)
                {
                    fixed (WorkRequest* s = sends)
                    {
                        Linux.ibv_post_send(qp, {|#0:s|}, out _);
                    }

                    fixed (WorkRequest* r = receives)
                    {
                        Linux.ibv_post_recv(qp, {|#1:r|}, out _);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ibv_post_send", ""),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(1).WithArguments("ibv_post_recv", ""));

    [Fact]
    public Task SynchronousPInvokeIsNotRetaining()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                public static void Copy(int fd, byte[] buffer, byte[] target)
                {
                    fixed (byte* p = buffer)
                    fixed (byte* q = target)
                    {
                        Linux.read(fd, p, buffer.Length);
                        Linux.write(fd, p, buffer.Length);
                        Linux.memcpy(q, p, (nuint)buffer.Length);
                    }
                }
            }
            """);

    [Fact]
    public Task SimilarNamesNotInTheListAreNotRetaining()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Io
            {
                [DllImport("ibverbs")] private static extern IntPtr ibv_reg_mr_cached(IntPtr pd, void* addr, nuint length, int access);
                [DllImport("rt")] private static extern int aio_readv(void* control);
                [DllImport("app")] private static extern void register_buffer(void* addr, nuint length);

                public static void Poll(IntPtr pd, Aiocb[] controls, byte[] buffer)
                {
                    fixed (Aiocb* control = controls)
                    fixed (byte* p = buffer)
                    {
                        Linux.aio_error(control);
                        Linux.aio_return(control);
                        ibv_reg_mr_cached(pd, p, (nuint)buffer.Length, 1);
                        aio_readv(p);
                        register_buffer(p, (nuint)buffer.Length);
                    }
                }
            }
            """);

    [Fact]
    public Task RetainingCallGivenUnrelatedPointer()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe static class Rdma
            {
                public static void Register(IntPtr pd, byte[] buffer, byte* nativeBuffer, nuint length)
                {
                    fixed (byte* p = buffer)
                    {
                        *p = 1;
                        Linux.ibv_reg_mr(pd, nativeBuffer, length, 7);
                        var unmanaged = NativeMemory.Alloc(length);
                        Linux.ibv_reg_mr(pd, unmanaged, length, 7);
                    }
                }
            }
            """);

    [Fact]
    public Task FixedOverPinnedObjectHeapArrayIsNotAPinThatEnds()
        => VerifyFixed.VerifyAsync(Linux + """
            unsafe sealed class Rdma
            {
                private readonly byte[] _buffer = GC.AllocateArray<byte>(1 << 20, pinned: true);

                public IntPtr Register(IntPtr pd)
                {
                    fixed (byte* p = _buffer)
                    {
                        return Linux.ibv_reg_mr(pd, p, (nuint)_buffer.Length, 7);
                    }
                }

                public static IntPtr RegisterScratch(IntPtr pd)
                {
                    var scratch = GC.AllocateUninitializedArray<byte>(4096, pinned: true);
                    fixed (byte* p = scratch)
                    {
                        return Linux.ibv_reg_mr(pd, p, 4096, 7);
                    }
                }
            }
            """);

    // ---- handle pins that end in the method (PinnedHandleAnalyzer) ----

    [Fact]
    public Task HandleFreedInFinallyPassedToIbvRegMr()
        => VerifyHandle.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Rdma
            {
                [DllImport("ibverbs")] private static extern IntPtr ibv_reg_mr(IntPtr pd, IntPtr addr, nuint length, int access);

                public static IntPtr Register(IntPtr pd, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        return ibv_reg_mr(pd, {|#0:handle.AddrOfPinnedObject()|}, (nuint)buffer.Length, 7);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("ibv_reg_mr", ": the registration may still be active when 'handle' is freed via 'return'"));

    [Fact]
    public Task HandleAddressThroughLocalFreedAfterPInvoke()
        => VerifyHandle.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Io
            {
                [DllImport("uring")] private static extern void io_uring_prep_write(IntPtr sqe, int fd, byte* buffer, uint count, ulong offset);

                public static void Queue(IntPtr sqe, int fd, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    var address = (byte*)handle.AddrOfPinnedObject();
                    io_uring_prep_write(sqe, fd, {|#0:address|}, (uint)buffer.Length, 0);
                    handle.Free();
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("io_uring_prep_write", ": the I/O may still be pending when 'handle' is freed"));

    [Fact]
    public Task TypedHandleDisposedPassedToAttributedMethod()
        => VerifyHandle.VerifyAsync("""
            using System.Runtime.InteropServices;

            unsafe static class Ring
            {
                [RetainsPointer]
                public static void Submit(byte* buffer, int length) { }

                public static void Send(byte[] data)
                {
                    using var handle = new PinnedGCHandle<byte[]>(data);
                    Submit({|#0:handle.GetAddressOfArrayData()|}, data.Length);
                }
            }
            """ + Attribute,
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""));

    [Fact]
    public Task HandleFreedInFinallyWithConfiguredMethod()
        => VerifyHandle.VerifyWithConfigAsync("""
            using System;
            using System.Runtime.InteropServices;

            namespace Acme.Io
            {
                sealed class Ring
                {
                    public void Submit(IntPtr buffer, int length) { }
                }

                static class Sender
                {
                    public static void Send(Ring ring, byte[] data)
                    {
                        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                        try
                        {
                            ring.Submit({|#0:handle.AddrOfPinnedObject()|}, data.Length);
                        }
                        finally
                        {
                            handle.Free();
                        }
                    }
                }
            }
            """,
            "pin_analyzers.retaining_methods = Acme.Io.Ring.Submit\n",
            VerifyHandle.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""));

    [Fact]
    public Task HandleNotFreedPassedToRetainingCallIsPIN1001Only()
        => VerifyHandle.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Rdma
            {
                [DllImport("ibverbs")] private static extern IntPtr ibv_reg_mr(IntPtr pd, IntPtr addr, nuint length, int access);

                public static IntPtr Register(IntPtr pd, byte[] buffer)
                {
                    var handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    return ibv_reg_mr(pd, handle.AddrOfPinnedObject(), (nuint)buffer.Length, 7);
                }
            }
            """);

    [Fact]
    public Task HandleNotFreedPassedToAttributedMethodIsPIN1001Only()
        => VerifyHandle.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Ring
            {
                public static void Submit([RetainsPointer] IntPtr buffer) { }

                public static void Send(byte[] data)
                {
                    var handle = {|PIN1001:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                    Submit(handle.AddrOfPinnedObject());
                }
            }
            """ + Attribute);

    [Fact]
    public Task HandleFreedAfterSynchronousPInvokeIsFine()
        => VerifyHandle.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Io
            {
                [DllImport("libc")] private static extern nint write(int fd, IntPtr buffer, nint count);
                [DllImport("kernel32")] private static extern bool ReadFile(IntPtr file, IntPtr buffer, int count, IntPtr read, IntPtr overlapped);

                public static void Send(int fd, IntPtr file, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        write(fd, handle.AddrOfPinnedObject(), buffer.Length);
                        ReadFile(file, handle.AddrOfPinnedObject(), buffer.Length, IntPtr.Zero, IntPtr.Zero);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapBufferPassedToRetainingCallThroughHandleIsFine()
        => VerifyHandle.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Rdma
            {
                [DllImport("ibverbs")] private static extern IntPtr ibv_reg_mr(IntPtr pd, IntPtr addr, nuint length, int access);

                private readonly byte[] _buffer = GC.AllocateArray<byte>(4096, pinned: true);

                public IntPtr Register(IntPtr pd)
                {
                    var handle = GCHandle.Alloc(_buffer, GCHandleType.Pinned);
                    try
                    {
                        return ibv_reg_mr(pd, handle.AddrOfPinnedObject(), (nuint)_buffer.Length, 7);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    // ---- broken code ----

    [Fact]
    public Task HalfTypedRetainingCallDoesNotCrash()
        => VerifyFixed.VerifyNoCrashAsync(Linux + """
            unsafe static class Rdma
            {
                public static void Register(IntPtr pd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        Linux.ibv_reg_mr(pd, p,
                    }
            """,
            "PIN2001");

    [Fact]
    public Task HalfTypedOverlappedCallDoesNotCrash()
        => VerifyHandle.VerifyNoCrashAsync(Win32 + """
            unsafe static class Reader
            {
                public static void Start(IntPtr file, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try { Win32.ReadFile(file, (byte*)handle.AddrOfPinnedObject(), , IntPtr.Zero, ); }
                    finally { handle.Free(); }
                    Win32.WriteFile(
                }
            }
            """,
            "PIN1004", "PIN1005");
}
