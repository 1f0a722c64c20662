using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;
using VerifyHandle = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// A pointer captured by a lambda or local function that runs in place — handed to a method that only invokes it (the
/// EINTR retry helper of Unix interop code), a framework method that invokes it before returning, or a local function that
/// is only called — is used inside the pin, not kept past it. Each valid shape sits next to the escaping shape it resembles.
/// </summary>
public sealed class PIN2001CaptureByInPlaceFunctionTests
{
    private const string Retry = """
        static class Sys
        {
            [System.Runtime.InteropServices.DllImport("libc")]
            public static extern unsafe nint read(int fd, byte* buffer, nuint count);

            public static int Retry(System.Func<int> call)
            {
                while (true)
                {
                    int result = call();
                    if (result >= 0 || System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != 4) { return result; }
                }
            }

            public static nint RetryInvoke(System.Func<nint> call)
            {
                if (call is null) throw new System.ArgumentNullException(nameof(call));
                nint result;
                do { result = call.Invoke(); } while (result < 0);
                return result;
            }
        }
        """;

    [Fact]
    public Task LambdaHandedToARetryHelperIsNotAnEscape()
        => Verify.VerifyAsync("""
            unsafe static class Reader
            {
                public static int Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        int n = Sys.Retry(() => (int)Sys.read(fd, q, (nuint)buffer.Length));
                        nint m = Sys.RetryInvoke(() => Sys.read(fd, q + n, 1));
                        return n + (int)m;
                    }
                }
            }
            """ + Retry);

    [Fact]
    public Task LambdaHandedToAHelperThatStoresItIsAnEscape()
        => Verify.VerifyAsync("""
            using System;

            unsafe static class Reader
            {
                private static Func<int>? s_pending;

                public static void Later(Func<int> call) => s_pending = call;

                public static void Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        Later(() => (int)Sys.read(fd, {|#0:q|}, (nuint)buffer.Length));
                    }
                }
            }
            """ + Retry,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("captured by a lambda"));

    [Fact]
    public Task LambdaHandedToAHelperThatPassesItOnIsAnEscape()
        => Verify.VerifyAsync("""
            using System;
            using System.Threading.Tasks;

            unsafe static class Reader
            {
                public static void Forward(Func<int> call) => Task.Run(call);

                public static void Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        Forward(() => (int)Sys.read(fd, {|#0:q|}, (nuint)buffer.Length));
                    }
                }
            }
            """ + Retry,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("captured by a lambda"));

    [Fact]
    public Task LambdaHandedToAnAsyncOrIteratorOrVirtualHelperIsAnEscape()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.Threading.Tasks;

            static class Later
            {
                public static async Task<int> RetryAsync(Func<int> call)
                {
                    await Task.Yield();
                    return call();
                }
            }

            unsafe class Reader
            {

                public static IEnumerable<int> Each(Func<int> call)
                {
                    yield return call();
                }

                public virtual int Run(Func<int> call) => call();

                public void Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        _ = Later.RetryAsync(() => (int)Sys.read(fd, {|#0:q|}, 1));
                        _ = Each(() => (int)Sys.read(fd, {|#1:q|}, 1));
                        _ = Run(() => (int)Sys.read(fd, {|#2:q|}, 1));
                    }
                }
            }
            """ + Retry,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("captured by a lambda"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("captured by a lambda"),
            Verify.Diagnostic("PIN2001").WithLocation(2).WithArguments("captured by a lambda"));

    [Fact]
    public Task TaskRunIsAnEscapeButListForEachAndParallelForAreNot()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Threading.Tasks;

            unsafe static class Filler
            {
                public static void Fill(byte[] buffer, List<int> offsets)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        offsets.ForEach(i => q[i] = 1);
                        Parallel.For(0, buffer.Length, i => q[i] = 2);
                        Task.Run(() => {|#0:q|}[1] = 0);
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("captured by a lambda"));

    [Fact]
    public Task InPlaceLambdaNestedInAnEscapingOneIsAnEscape()
        => Verify.VerifyAsync("""
            using System.Threading.Tasks;

            unsafe static class Reader
            {
                public static Task Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        return Task.Run(() => Sys.Retry(() => (int)Sys.read(fd, {|#0:q|}, 1)));
                    }
                }
            }
            """ + Retry,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("captured by a lambda"));

    [Fact]
    public Task InPlaceLambdaThatStoresThePointerStillReportsTheStore()
        => Verify.VerifyAsync("""
            unsafe static class Reader
            {
                private static byte* s_last;

                public static int Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        return Sys.Retry(() =>
                        {
                            {|#0:s_last = q|};
                            return (int)Sys.read(fd, q, 1);
                        });
                    }
                }
            }
            """ + Retry,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in static field 's_last'"));

    [Fact]
    public Task PointerReturnedByAnInPlaceLambdaGoesBackToTheCall()
        => Verify.VerifyAsync("""
            using System;

            unsafe static class Reader
            {
                public static T Call<T>(Func<T> f) => f();

                public static long Address(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        return Call(() => (nint)q).ToInt64() & 0;
                    }
                }
            }
            """);

    [Fact]
    public Task LocalFunctionOnlyCalledIsNotAnEscapeButOneTurnedIntoADelegateIs()
        => Verify.VerifyAsync("""
            using System;

            unsafe static class Reader
            {
                public static Func<int>? Pending;

                public static int Read(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        int Once() => (int)Sys.read(fd, q, 1);
                        return Once() + Once();
                    }
                }

                public static void Defer(int fd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        int Later() => (int)Sys.read(fd, {|#0:q|}, 1);
                        Pending = Later;
                    }
                }
            }
            """ + Retry,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("captured by local function 'Later'"));

    [Fact]
    public Task HandleAddressCapturedByAnInPlaceLambdaBeforeFreeIsNotAnEscape()
        => VerifyHandle.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Reader
            {
                [DllImport("libc")]
                private static extern nint read(int fd, IntPtr buffer, nuint count);

                public static int Retry(Func<int> call) => call();

                public static int Read(int fd, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        var address = handle.AddrOfPinnedObject();
                        return Retry(() => (int)read(fd, address, (nuint)buffer.Length));
                    }
                    finally
                    {
                        handle.Free();
                    }
                }

                public static Func<int> Start(int fd, byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var address = handle.AddrOfPinnedObject();
                    return () => (int)read(fd, address, 1);
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is captured by a lambda"));

    [Fact]
    public Task HalfTypedHelperDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            unsafe static class Reader
            {
                public static int Retry(System.Func<int> call) { while (true) { var r = call(; } }

                public static void Read(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        byte* q = p;
                        Retry(() => p[0]
                    }
                }
            }
            """);
}
