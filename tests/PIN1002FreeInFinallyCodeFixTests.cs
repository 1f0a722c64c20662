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
}
