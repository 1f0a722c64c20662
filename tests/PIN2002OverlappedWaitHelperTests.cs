using Xunit;
using VerifyFixed = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN2002 and the shared wait helper of Windows device code (HidSharp's <c>OverlappedOperation</c>, serial-port and USB
/// libraries): the overlapped call is made, often as an argument of the helper, and the helper waits for the same
/// OVERLAPPED with <c>GetOverlappedResult(..., TRUE)</c> on every normal path. The request then finishes inside the pin.
/// A helper that may return before waiting, waits only in a branch, or does not wait is no such helper.
/// </summary>
public sealed class PIN2002OverlappedWaitHelperTests
{
    private const string Win32 = """
        using System;
        using System.Threading;
        using System.Runtime.InteropServices;

        unsafe static class Native
        {
            [DllImport("kernel32", SetLastError = true)]
            public static extern bool ReadFile(IntPtr file, byte* buffer, int count, IntPtr read, NativeOverlapped* overlapped);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool GetOverlappedResult(IntPtr file, NativeOverlapped* overlapped, out uint transferred, bool wait);

            [DllImport("kernel32", SetLastError = true)]
            public static extern uint WaitForMultipleObjects(uint count, IntPtr* handles, bool all, uint milliseconds);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool CancelIo(IntPtr file);

            // The wait-or-cancel-then-get-the-result helper: every normal path reaches GetOverlappedResult(..., true).
            public static void OverlappedOperation(IntPtr file, IntPtr ev, bool started, NativeOverlapped* overlapped, out uint transferred)
            {
                bool closed = false;
                if (!started)
                {
                    if (Marshal.GetLastPInvokeError() != 997) { throw new System.IO.IOException("failed early"); }
                    IntPtr* handles = stackalloc IntPtr[1];
                    handles[0] = ev;
                    switch (WaitForMultipleObjects(1, handles, false, 1000))
                    {
                        case 0: break;
                        case 1: closed = true; goto default;
                        default: CancelIo(file); break;
                    }
                }

                if (!GetOverlappedResult(file, overlapped, out transferred, true))
                {
                    if (closed) { throw new ObjectDisposedException("file"); }
                    transferred = 0;
                }
            }

            // May return before the wait.
            public static void MaybeWait(IntPtr file, bool started, NativeOverlapped* overlapped, out uint transferred)
            {
                transferred = 0;
                if (started) { return; }
                GetOverlappedResult(file, overlapped, out transferred, true);
            }

            // Waits only in a branch.
            public static void WaitIfAsked(IntPtr file, bool wait, NativeOverlapped* overlapped, out uint transferred)
            {
                transferred = 0;
                if (wait) { GetOverlappedResult(file, overlapped, out transferred, true); }
            }

            // Polls without waiting.
            public static bool Poll(IntPtr file, NativeOverlapped* overlapped, out uint transferred)
                => GetOverlappedResult(file, overlapped, out transferred, false);
        }

        """;

    [Fact]
    public Task CallMadeAsAnArgumentOfTheWaitingHelperFinishesInsideThePin()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Stream
            {
                public static uint Read(IntPtr file, IntPtr ev, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        var overlapped = stackalloc NativeOverlapped[1];
                        overlapped[0].EventHandle = ev;
                        Native.OverlappedOperation(file, ev, Native.ReadFile(file, p, buffer.Length, IntPtr.Zero, overlapped), overlapped, out var read);
                        return read;
                    }
                }
            }
            """);

    [Fact]
    public Task CallFollowedByTheWaitingHelperFinishesInsideThePin()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Stream
            {
                public static uint Read(IntPtr file, IntPtr ev, byte[] buffer)
                {
                    NativeOverlapped overlapped = default;
                    fixed (byte* p = buffer)
                    {
                        bool started = Native.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped);
                        Native.OverlappedOperation(file, ev, started, &overlapped, out var read);
                        return read;
                    }
                }
            }
            """);

    [Fact]
    public Task HelperThatMayReturnFirstOrWaitsInABranchOrPollsIsReported()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Stream
            {
                public static void Read(IntPtr file, bool flag, byte[] buffer)
                {
                    NativeOverlapped overlapped = default;
                    fixed (byte* p = buffer)
                    {
                        Native.MaybeWait(file, Native.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped), &overlapped, out _);
                        Native.WaitIfAsked(file, flag, &overlapped, out _);
                        Native.Poll(file, &overlapped, out _);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", ": the I/O may still be pending when the fixed statement ends"));

    [Fact]
    public Task HelperGivenAnotherOverlappedDoesNotFinishThisRequest()
        => VerifyFixed.VerifyAsync(Win32 + """
            unsafe static class Stream
            {
                public static void Read(IntPtr file, IntPtr ev, byte[] buffer)
                {
                    NativeOverlapped mine = default, other = default;
                    fixed (byte* p = buffer)
                    {
                        Native.OverlappedOperation(file, ev, Native.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &mine), &other, out _);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("ReadFile", ": the I/O may still be pending when the fixed statement ends"));
}
