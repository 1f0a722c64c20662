using Microsoft.CodeAnalysis.CSharp;
using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.PinnedHandleAnalyzer, PinAnalyzers.CodeFixes.FreeInFinallyCodeFix>;

namespace PinAnalyzers.Tests;

public sealed class PIN1002FreeInFinallyCodeFixTests
{
    private const string Key = FreeInFinallyCodeFix.EquivalenceKey;

    [Fact]
    public Task NeverFreed_WrapsTheRestOfTheBlock()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(Stream log, int fd, byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                    // the log may throw
                    log.Flush();
                    write(fd, handle.AddrOfPinnedObject(), buffer.Length);
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(Stream log, int fd, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        // the log may throw
                        log.Flush();
                        write(fd, handle.AddrOfPinnedObject(), buffer.Length);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task ReleaseAfterThrowingCall_MovesIntoFinally()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(Stream source, int fd, byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var count = source.Read(buffer, 0, buffer.Length);
                    write(fd, handle.AddrOfPinnedObject(), count);
                    handle.Free();
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(Stream source, int fd, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        var count = source.Read(buffer, 0, buffer.Length);
                        write(fd, handle.AddrOfPinnedObject(), count);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task StatementsAfterTheReleaseStayAfterTheTry()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static long Measure(Stream source, byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    source.Flush();
                    handle.Free();

                    var length = source.Length;
                    Console.WriteLine(length);
                    return length;
                }
            }
            """, """
            using System;
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static long Measure(Stream source, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        source.Flush();
                    }
                    finally
                    {
                        handle.Free();
                    }

                    var length = source.Length;
                    Console.WriteLine(length);
                    return length;
                }
            }
            """, Key);

    [Fact]
    public Task UsingDeclarationInTheRegion_WrapsToTheEndOfTheBlock()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(string path, byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    using var file = File.OpenRead(path);
                    file.Read(buffer, 0, buffer.Length);
                    handle.Free();
                    System.Console.WriteLine("the file is still open here");
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(string path, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        using var file = File.OpenRead(path);
                        file.Read(buffer, 0, buffer.Length);
                        System.Console.WriteLine("the file is still open here");
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task LocalUsedAfterTheRelease_WrapsToTheEndOfTheBlock()
        => Verify.VerifyFixAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static int Fill(byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var n = fill(handle.AddrOfPinnedObject(), buffer.Length);
                    if (n < 0)
                    {
                        return n;
                    }

                    handle.Free();
                    return n;
                }
            }
            """, """
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

                        return n;
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task GuardedReleaseIsRemoved()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    source.Flush();
                    if (handle.IsAllocated) handle.Free();
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        source.Flush();
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task ReleaseInsideABranch_FinallyFreesOnlyALiveHandle()
        => Verify.VerifyFixAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Maybe(byte[] buffer, bool done)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    if (done)
                    {
                        handle.Free();
                    }
                }
            }
            """, """
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Maybe(byte[] buffer, bool done)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        if (done)
                        {
                            handle.Free();
                        }
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
            """, Key);

    [Fact]
    public Task PinAssignedToAnExistingLocal()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    GCHandle handle;
                    handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    source.Read(buffer, 0, buffer.Length);
                    handle.Free();
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    GCHandle handle;
                    handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
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
            """, Key);

    [Fact]
    public Task PinInALoopBody_WrapsToTheEndOfTheBody()
        => Verify.VerifyFixAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static void FillAll(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                        if (fill(handle.AddrOfPinnedObject(), buffer.Length) < 0)
                        {
                            break;
                        }
                    }

                    System.Console.WriteLine("done");
                }
            }
            """, """
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static void FillAll(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                        try
                        {
                            if (fill(handle.AddrOfPinnedObject(), buffer.Length) < 0)
                            {
                                break;
                            }
                        }
                        finally
                        {
                            handle.Free();
                        }
                    }

                    System.Console.WriteLine("done");
                }
            }
            """, Key);

    [Fact]
    public Task AwaitMovesIntoTheTry()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            static class Native
            {
                public static async Task<int> Copy(Stream source, byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var read = await source.ReadAsync(buffer, 0, buffer.Length);
                    handle.Free();
                    return read;
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            static class Native
            {
                public static async Task<int> Copy(Stream source, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        var read = await source.ReadAsync(buffer, 0, buffer.Length);
                        return read;
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task NothingFollowsThePin_FreesRightAway()
        => Verify.VerifyFixAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Touch(byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }
            }
            """, """
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Touch(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    handle.Free();
                }
            }
            """, Key);

    [Fact]
    public Task LocalFunctionsAtTheEndStayOutsideTheTry()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static int Copy(Stream source, byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    return Read();

                    int Read() => source.Read(buffer, 0, buffer.Length);
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static int Copy(Stream source, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        return Read();
                    }
                    finally
                    {
                        handle.Free();
                    }

                    int Read() => source.Read(buffer, 0, buffer.Length);
                }
            }
            """, Key);

    // ---- PinnedGCHandle<T> ----

    [Fact]
    public Task TypedHandle_BecomesAUsingDeclaration()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int fill(byte* buffer, int count);

                public static void Fill(Stream log, byte[] buffer)
                {
                    // pin for the native call
                    var handle = {|PIN1002:new PinnedGCHandle<byte[]>(buffer)|};
                    log.Flush();
                    fill(handle.GetAddressOfArrayData(), buffer.Length);
                    handle.Dispose();
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int fill(byte* buffer, int count);

                public static void Fill(Stream log, byte[] buffer)
                {
                    // pin for the native call
                    using var handle = new PinnedGCHandle<byte[]>(buffer);
                    log.Flush();
                    fill(handle.GetAddressOfArrayData(), buffer.Length);
                }
            }
            """, Key);

    [Fact]
    public Task TypedHandle_DisposedBeforeMoreWork_BecomesAUsingStatement()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int fill(byte* buffer, int count);

                public static void Fill(Stream log, byte[] buffer)
                {
                    PinnedGCHandle<byte[]> handle = {|PIN1002:new(buffer)|};
                    log.Flush();
                    fill(handle.GetAddressOfArrayData(), buffer.Length);
                    handle.Dispose();
                    log.Flush();
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int fill(byte* buffer, int count);

                public static void Fill(Stream log, byte[] buffer)
                {
                    using (PinnedGCHandle<byte[]> handle = new(buffer))
                    {
                        log.Flush();
                        fill(handle.GetAddressOfArrayData(), buffer.Length);
                    }

                    log.Flush();
                }
            }
            """, Key);

    [Fact]
    public Task TypedHandle_BeforeCSharp8_BecomesAUsingStatement()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int fill(byte* buffer, int count);

                public static void Fill(Stream log, byte[] buffer)
                {
                    var handle = {|PIN1002:new PinnedGCHandle<byte[]>(buffer)|};
                    log.Flush();
                    fill(handle.GetAddressOfArrayData(), buffer.Length);
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int fill(byte* buffer, int count);

                public static void Fill(Stream log, byte[] buffer)
                {
                    using (var handle = new PinnedGCHandle<byte[]>(buffer))
                    {
                        log.Flush();
                        fill(handle.GetAddressOfArrayData(), buffer.Length);
                    }
                }
            }
            """, Key, LanguageVersion.CSharp7_3);

    [Fact]
    public Task TypedHandle_DisposedInABranch_DisposedInFinally()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Fill(Stream log, byte[] buffer, bool early)
                {
                    var handle = {|PIN1002:new PinnedGCHandle<byte[]>(buffer)|};
                    if (early)
                    {
                        handle.Dispose();
                    }

                    log.Flush();
                }
            }
            """, """
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Fill(Stream log, byte[] buffer, bool early)
                {
                    var handle = new PinnedGCHandle<byte[]>(buffer);
                    try
                    {
                        if (early)
                        {
                            handle.Dispose();
                        }

                        log.Flush();
                    }
                    finally
                    {
                        handle.Dispose();
                    }
                }
            }
            """, Key);

    // ---- Fix All ----

    [Fact]
    public Task FixAll_TwoPinsInOneBlockNest()
        => Verify.VerifyFixAllAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] first, byte[] second)
                {
                    var a = {|PIN1002:GCHandle.Alloc(first, GCHandleType.Pinned)|};
                    var b = {|PIN1002:GCHandle.Alloc(second, GCHandleType.Pinned)|};
                    source.Read(first, 0, first.Length);
                    source.Read(second, 0, second.Length);
                    b.Free();
                    a.Free();
                }

                public static void Other(Stream source, byte[] buffer)
                {
                    var c = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    source.Flush();
                    c.Free();
                }
            }
            """, FixAllResult, FixAllResult, Key, iterations: 3);

    private const string FixAllResult = """
        using System.IO;
        using System.Runtime.InteropServices;

        static class Native
        {
            public static void Copy(Stream source, byte[] first, byte[] second)
            {
                var a = GCHandle.Alloc(first, GCHandleType.Pinned);
                try
                {
                    var b = GCHandle.Alloc(second, GCHandleType.Pinned);
                    try
                    {
                        source.Read(first, 0, first.Length);
                        source.Read(second, 0, second.Length);
                    }
                    finally
                    {
                        b.Free();
                    }
                }
                finally
                {
                    a.Free();
                }
            }

            public static void Other(Stream source, byte[] buffer)
            {
                var c = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                try
                {
                    source.Flush();
                }
                finally
                {
                    c.Free();
                }
            }
        }
        """;

    // ---- already fixed: no diagnostic, nothing to fix ----

    [Fact]
    public Task AlreadyFreedInFinally_NoDiagnosticNoFix()
        => Verify.VerifyNoFixAsync("""
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

                public static void Fill(Stream log, byte[] buffer)
                {
                    using var handle = new PinnedGCHandle<byte[]>(buffer);
                    log.Flush();
                }
            }
            """);

    // ---- shapes with no fix ----

    [Fact]
    public Task DiscardedPinOrExpressionBody_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Leak(byte[] buffer)
                {
                    {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }

                public static void LeakToo(byte[] buffer) => {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
            }
            """);

    [Fact]
    public Task HandleReassignedAfterThePin_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] first, byte[] second)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(first, GCHandleType.Pinned)|};
                    source.Flush();
                    handle.Free();
                    handle = {|PIN1002:GCHandle.Alloc(second, GCHandleType.Pinned)|};
                    source.Flush();
                }
            }
            """);

    [Fact]
    public Task LabelAfterThePin_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer, bool skip)
                {
                    if (skip) goto done;
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    source.Flush();
                    handle.Free();
                done:
                    source.Flush();
                }
            }
            """);

    [Fact]
    public Task HandleCopied_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var copy = handle;
                    source.Flush();
                    copy.Free();
                }
            }
            """);

    [Fact]
    public Task HandleFreedAgainOutsideTheBlock_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer, bool pin)
                {
                    GCHandle handle = default;
                    if (pin)
                    {
                        handle = {|PIN1002:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                        source.Flush();
                    }

                    handle.Free();
                }
            }
            """);
}
