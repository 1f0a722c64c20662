using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// The can-throw policy for P/Invokes reached through a delegate or a function pointer (DESIGN.md: P/Invoke methods do
/// not throw): a readonly delegate field bound to an extern, and <c>delegate* unmanaged</c> calls.
/// </summary>
public sealed class PIN1002NativeDelegatesTests
{
    private const string Zmq = """
        using System;
        using System.Runtime.InteropServices;

        static class zmq
        {
            [DllImport("libzmq", EntryPoint = "zmq_recv")]
            private static extern int zmq_recv(IntPtr socket, IntPtr buf, int len, int flags);
            public delegate int recv_delegate(IntPtr socket, IntPtr buf, int len, int flags);
            public static readonly recv_delegate recv = zmq_recv;
            public static readonly recv_delegate recv_new = new recv_delegate(zmq_recv);
            public static readonly recv_delegate managed = Managed;
            public static recv_delegate mutable = zmq_recv;
            public static readonly recv_delegate fromPointer;
            public static readonly recv_delegate reassigned = zmq_recv;
            private static int Managed(IntPtr socket, IntPtr buf, int len, int flags) => throw new InvalidOperationException();

            static zmq()
            {
                fromPointer = Marshal.GetDelegateForFunctionPointer<recv_delegate>(NativeLibrary.GetExport(NativeLibrary.Load("libzmq"), "zmq_recv"));
                if (Environment.Is64BitProcess)
                {
                    reassigned = Managed;
                }
            }
        }

        """;

    [Theory]
    [InlineData("recv")]
    [InlineData("recv_new")]
    [InlineData("fromPointer")]
    public Task ReadonlyDelegateBoundToPInvokeDoesNotThrow(string field)
        => Verify.VerifyAsync(Zmq + $$"""
            static class Socket
            {
                public static int Receive(IntPtr socket, byte[] buffer)
                {
                    var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    int n = zmq.{{field}}(socket, pin.AddrOfPinnedObject(), buffer.Length, 0);
                    pin.Free();
                    return n;
                }
            }
            """);

    [Theory]
    [InlineData("managed")]
    [InlineData("mutable")]
    [InlineData("reassigned")]
    public Task DelegateThatMayBeManagedStillThrows(string field)
        => Verify.VerifyAsync(Zmq + $$"""
            static class Socket
            {
                public static int Receive(IntPtr socket, byte[] buffer)
                {
                    var pin = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    int n = zmq.{{field}}(socket, pin.AddrOfPinnedObject(), buffer.Length, 0);
                    pin.Free();
                    return n;
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments($"may leak if '{field}' throws"));

    [Fact]
    public Task NativeDelegateNextToThrowingCallStillReportsTheCall()
        => Verify.VerifyAsync(Zmq + """
            static class Socket
            {
                public static int Receive(IntPtr socket, byte[] buffer, System.IO.Stream log)
                {
                    var pin = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    int n = zmq.recv(socket, pin.AddrOfPinnedObject(), buffer.Length, 0);
                    log.Write(buffer, 0, n);
                    pin.Free();
                    return n;
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Write' throws"));

    [Fact]
    public Task UnmanagedFunctionPointerDoesNotThrow()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Socket
            {
                private static readonly delegate* unmanaged<IntPtr, IntPtr, int, int, int> s_recv =
                    (delegate* unmanaged<IntPtr, IntPtr, int, int, int>)NativeLibrary.GetExport(NativeLibrary.Load("libzmq"), "zmq_recv");

                public static int Receive(IntPtr socket, byte[] buffer)
                {
                    var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    int n = s_recv(socket, pin.AddrOfPinnedObject(), buffer.Length, 0);
                    pin.Free();
                    return n;
                }
            }
            """);
}
