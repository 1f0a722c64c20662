using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

public sealed class PIN1002PinnedHandleNotFreedTests
{
    [Fact]
    public Task NeverFreed()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    write(fd, handle.AddrOfPinnedObject(), buffer.Length);
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed"));

    [Fact]
    public Task DiscardedHandle()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Leak(byte[] buffer)
                {
                    {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed"));

    [Fact]
    public Task ThrowingCallBetweenPinAndFree()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(Stream source, int fd, byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var count = source.Read(buffer, 0, buffer.Length);
                    write(fd, handle.AddrOfPinnedObject(), count);
                    handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Read' throws"));

    [Fact]
    public Task PropertyAccessMayThrow()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static long Measure(Stream source, byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var length = source.Length;
                    handle.Free();
                    return length;
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Length' throws"));

    [Fact]
    public Task EarlyReturnSkipsFree()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static int Fill(byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var n = fill(handle.AddrOfPinnedObject(), buffer.Length);
                    if (n < 0)
                    {
                        return n;
                    }

                    handle.Free();
                    return n;
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is not freed on every path"));

    [Fact]
    public Task FreedInOneBranchOnly()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Maybe(byte[] buffer, bool done)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    if (done)
                    {
                        handle.Free();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is not freed on every path"));

    [Fact]
    public Task ExplicitThrowBetweenPinAndFree()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static void Fill(byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    if (fill(handle.AddrOfPinnedObject(), buffer.Length) < 0)
                    {
                        throw new InvalidOperationException("fill failed");
                    }

                    handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is not freed when the method throws"));

    [Fact]
    public Task CatchThatDoesNotFree()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    try
                    {
                        source.Read(buffer, 0, buffer.Length);
                        handle.Free();
                    }
                    catch (IOException)
                    {
                        Console.WriteLine("read failed");
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is not freed on every path"));

    [Fact]
    public Task LoopPinsAgainBeforeFree()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static void FillAll(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                        fill(handle.AddrOfPinnedObject(), buffer.Length);
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed: each iteration pins again"));

    [Fact]
    public Task TypedHandleNotDisposed()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int fill(byte* buffer, int count);

                public static void Fill(byte[] buffer)
                {
                    var handle = {|#0:new PinnedGCHandle<byte[]>(buffer)|};
                    fill(handle.GetAddressOfArrayData(), buffer.Length);
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed"));

    [Fact]
    public Task AwaitOutsideTryLeaks()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            static class Native
            {
                public static async Task Copy(Stream source, byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    await source.ReadAsync(buffer, 0, buffer.Length);
                    handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'ReadAsync' throws"));

    [Fact]
    public Task GuardedFreeOutsideFinallyStillLeaksOnException()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    source.Flush();
                    if (handle.IsAllocated) handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Flush' throws"));

    [Fact]
    public Task FinallyThatFreesOnlySometimes()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer, bool keep)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    try
                    {
                        source.Flush();
                    }
                    finally
                    {
                        if (!keep) handle.Free();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is not freed on every path"));

    // ---- valid code: no PIN1002 ----

    [Fact]
    public Task FreedInFinally()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        source.Read(buffer, 0, buffer.Length);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task GuardedFreeInFinally()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    GCHandle handle = default;
                    try
                    {
                        handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                        source.Read(buffer, 0, buffer.Length);
                    }
                    finally
                    {
                        if (handle.IsAllocated)
                        {
                            handle.Free();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task AwaitInsideTryFinally()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            static class Native
            {
                public static async Task Copy(Stream source, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        await source.ReadAsync(buffer, 0, buffer.Length);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task EarlyReturnInsideTryFinally()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static int Fill(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        var n = fill(handle.AddrOfPinnedObject(), buffer.Length);
                        if (n < 0)
                        {
                            return n;
                        }

                        return fill(handle.AddrOfPinnedObject(), n);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task OnlyPInvokeBetweenPinAndFree()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    var address = handle.AddrOfPinnedObject();
                    write(fd, address + 4, buffer.Length - 4);
                    handle.Free();
                }
            }
            """);

    [Fact]
    public Task FreedOnEveryBranch()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static int Fill(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    var n = fill(handle.AddrOfPinnedObject(), buffer.Length);
                    if (n < 0)
                    {
                        handle.Free();
                        return -1;
                    }

                    handle.Free();
                    return n;
                }
            }
            """);

    [Fact]
    public Task TypedHandleUsingDeclaration()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int fill(byte* buffer, int count);

                public static void Fill(Stream log, byte[] buffer)
                {
                    using var handle = new PinnedGCHandle<byte[]>(buffer);
                    log.Flush();
                    fill(handle.GetAddressOfArrayData(), buffer.Length);
                }
            }
            """);

    [Fact]
    public Task TypedHandleUsingStatement()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                public static void Fill(Stream log, byte[] buffer)
                {
                    using (var handle = new PinnedGCHandle<byte[]>(buffer))
                    {
                        log.Write(new System.ReadOnlySpan<byte>(handle.GetAddressOfArrayData(), buffer.Length));
                    }
                }
            }
            """);

    [Fact]
    public Task TypedHandleDisposedInFinally()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                public static void Fill(Stream log, byte[] buffer)
                {
                    var handle = new PinnedGCHandle<byte[]>(buffer);
                    try
                    {
                        log.Flush();
                    }
                    finally
                    {
                        handle.Dispose();
                    }
                }
            }
            """);

    [Fact]
    public Task FreedThroughToIntPtrRoundTrip()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void RoundTrip(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    IntPtr cookie = GCHandle.ToIntPtr(handle);
                    GCHandle.FromIntPtr(cookie).Free();
                }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapLocalIsNotLongLived()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static IntPtr Address(int size)
                {
                    var buffer = GC.AllocateArray<byte>(size, pinned: true);
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    return handle.AddrOfPinnedObject();
                }
            }
            """);

    [Fact]
    public Task FreeInLoopBodyEachIteration()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void FillAll(Stream log, byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                        try
                        {
                            log.Flush();
                        }
                        finally
                        {
                            handle.Free();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task CatchAllThatFreesAndRethrows()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        source.Read(buffer, 0, buffer.Length);
                    }
                    catch
                    {
                        handle.Free();
                        throw;
                    }

                    handle.Free();
                }
            }
            """);

    [Fact]
    public Task NestedTryFinallyOuterFrees()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, Stream target, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        try
                        {
                            source.Read(buffer, 0, buffer.Length);
                        }
                        finally
                        {
                            target.Flush();
                        }
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task ForEachOverArrayAndSpanDoesNotThrow()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static int Fill(byte[] buffer, int[] sizes, Span<byte> header)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    var total = 0;
                    foreach (var size in sizes)
                    {
                        total += fill(handle.AddrOfPinnedObject(), size);
                    }

                    foreach (var b in header)
                    {
                        total += b;
                    }

                    handle.Free();
                    return total;
                }
            }
            """);

    [Fact]
    public Task ForEachOverListMayThrow()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static int Fill(byte[] buffer, List<int> sizes)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var total = 0;
                    foreach (var size in sizes)
                    {
                        total += fill(handle.AddrOfPinnedObject(), size);
                    }

                    handle.Free();
                    return total;
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'GetEnumerator' throws"));

    [Fact]
    public Task HandleFreedByTheStatementThatPinsIt_NoDiagnostic_NextToOneThatIsNot()
        // Raylib-cs's blittability probe: GCHandle.Alloc throws for a non-blittable object, and the handle is freed
        // at once. An Alloc whose handle is only read, not freed, stays reported.
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Blittable
            {
                public static bool IsBlittable(object instance)
                {
                    try
                    {
                        GCHandle.Alloc(instance, GCHandleType.Pinned).Free();
                        return true;
                    }
                    catch (ArgumentException)
                    {
                        return false;
                    }
                }

                public static IntPtr Leaks(object instance) => {|#0:GCHandle.Alloc(instance, GCHandleType.Pinned)|}.AddrOfPinnedObject();

                public static void Leaked(object instance) => Console.WriteLine({|#1:GCHandle.Alloc(instance, GCHandleType.Pinned)|}.IsAllocated);
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is returned"),
            Verify.Diagnostic("PIN1002").WithLocation(1));

    /// <summary>
    /// OpenCvSharp's <c>MatTest.Issue349</c>: in a unit-test method a throw fails the test, so a pin left behind on that
    /// path is no leak to fix. A test that never frees, or that skips the free on a normal path, is still reported, and
    /// so is the same code in an ordinary method.
    /// </summary>
    [Fact]
    public Task ExceptionalPathsOfTestMethodsAreNotLeaks_NormalPathsStillAre()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            namespace Xunit { public class FactAttribute : Attribute { } public class TheoryAttribute : FactAttribute { } }
            namespace NUnit.Framework { public class TestAttribute : Attribute { } }
            namespace Microsoft.VisualStudio.TestTools.UnitTesting { public class TestMethodAttribute : Attribute { } }
            sealed class SkippableFactAttribute : Xunit.FactAttribute { }

            static class Native
            {
                public static void Run(IntPtr data) => Console.WriteLine(data);
            }

            public class MatTests
            {
                [Xunit.Fact]
                public void Xunit()
                {
                    var handle = GCHandle.Alloc(new float[64], GCHandleType.Pinned);
                    Native.Run(handle.AddrOfPinnedObject());
                    handle.Free();
                }

                [SkippableFact]
                public void Derived()
                {
                    var handle = GCHandle.Alloc(new float[64], GCHandleType.Pinned);
                    Action run = () => Native.Run(handle.AddrOfPinnedObject());
                    run();
                    handle.Free();
                }

                [NUnit.Framework.Test]
                public void NUnit()
                {
                    var handle = GCHandle.Alloc(new float[64], GCHandleType.Pinned);
                    Native.Run(handle.AddrOfPinnedObject());
                    handle.Free();
                }

                [Microsoft.VisualStudio.TestTools.UnitTesting.TestMethod]
                public void MSTest()
                {
                    var handle = GCHandle.Alloc(new float[64], GCHandleType.Pinned);
                    Native.Run(handle.AddrOfPinnedObject());
                    handle.Free();
                }

                [Xunit.Fact]
                public void NeverFreed()
                {
                    var handle = {|#0:GCHandle.Alloc(new float[64], GCHandleType.Pinned)|};
                    Native.Run(handle.AddrOfPinnedObject());
                }

                [Xunit.Theory]
                public void SkippedOnOnePath(bool early)
                {
                    var handle = {|#1:GCHandle.Alloc(new float[64], GCHandleType.Pinned)|};
                    if (early)
                    {
                        return;
                    }

                    handle.Free();
                }

                public void NotATest()
                {
                    var handle = {|#2:GCHandle.Alloc(new float[64], GCHandleType.Pinned)|};
                    Native.Run(handle.AddrOfPinnedObject());
                    handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed"),
            Verify.Diagnostic("PIN1002").WithLocation(1).WithArguments("is not freed on every path"),
            Verify.Diagnostic("PIN1002").WithLocation(2).WithArguments("may leak if 'Run' throws"));

    /// <summary>
    /// A test project whose framework reference is missing (restoring, or a bare compilation such as the bench's):
    /// <c>[Fact]</c> binds to an error type, and its name is still enough. Its exceptional paths are not reported;
    /// the same method without the attribute is.
    /// </summary>
    [Fact]
    public async Task UnresolvedTestAttributeIsStillATest()
    {
        const string Source = """
            using System;
            using System.Runtime.InteropServices;
            using Xunit;

            public class Tests
            {
                [Fact]
                public void Marshalled()
                {
                    var buffer = new byte[16];
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    Marshal.StructureToPtr(DateTime.Now, handle.AddrOfPinnedObject(), false);
                    handle.Free();
                }
            }
            """;
        await Verify.VerifyNoCrashAsync(Source, "PIN1002");
        var plain = await PinAnalyzers.Tests.Verifiers.BrokenCode.RunAnalyzerAsync(new PinnedHandleAnalyzer(), Source.Replace("[Fact]", string.Empty));
        Assert.Contains(plain, d => d.Id == "PIN1002");
    }
}
