using Microsoft.CodeAnalysis.CSharp;
using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.MemoryHandleAnalyzer, PinAnalyzers.CodeFixes.DisposeWithUsingCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN3002 "Dispose with using": the same release machinery as PIN1002's fix, for a <c>MemoryHandle</c>.</summary>
public sealed class PIN3002DisposeWithUsingCodeFixTests
{
    private const string Key = DisposeWithUsingCodeFix.MemoryHandleEquivalenceKey;

    [Fact]
    public Task NeverDisposed_BecomesAUsingDeclaration()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Send(Stream log, Memory<byte> memory)
                {
                    var handle = {|PIN3002:memory.Pin()|};
                    log.Flush();
                    Console.WriteLine((nint)handle.Pointer);
                }
            }
            """, """
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Send(Stream log, Memory<byte> memory)
                {
                    using var handle = memory.Pin();
                    log.Flush();
                    Console.WriteLine((nint)handle.Pointer);
                }
            }
            """, Key);

    [Fact]
    public Task DisposeAfterAThrowingCall_GoesAway_AndTheRestStaysInTheBlock()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static int Copy(Stream source, Memory<byte> memory)
                {
                    var handle = {|PIN3002:memory.Pin()|};
                    var count = source.Read(new Span<byte>(handle.Pointer, memory.Length));
                    handle.Dispose();
                    return count;
                }
            }
            """, """
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static int Copy(Stream source, Memory<byte> memory)
                {
                    using var handle = memory.Pin();
                    var count = source.Read(new Span<byte>(handle.Pointer, memory.Length));
                    return count;
                }
            }
            """, Key);

    [Fact]
    public Task StatementsAfterTheDispose_StayAfterTheUsing()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Copy(Stream source, Memory<byte> memory)
                {
                    var handle = {|PIN3002:memory.Pin()|};
                    source.Read(new Span<byte>(handle.Pointer, memory.Length));
                    handle.Dispose();

                    Console.WriteLine("copied");
                }
            }
            """, """
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Copy(Stream source, Memory<byte> memory)
                {
                    using (var handle = memory.Pin())
                    {
                        source.Read(new Span<byte>(handle.Pointer, memory.Length));
                    }

                    Console.WriteLine("copied");
                }
            }
            """, Key);

    [Fact]
    public Task CSharp7_3_UsingStatement()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Send(Stream log, Memory<byte> memory)
                {
                    var handle = {|PIN3002:memory.Pin()|};
                    log.Flush();
                    Console.WriteLine((long)handle.Pointer);
                }
            }
            """, """
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Send(Stream log, Memory<byte> memory)
                {
                    using (var handle = memory.Pin())
                    {
                        log.Flush();
                        Console.WriteLine((long)handle.Pointer);
                    }
                }
            }
            """, Key, LanguageVersion.CSharp7_3);

    [Fact]
    public Task DisposedEarlyOnOnePath_TryFinallyDisposesAgain()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Send(Stream log, Memory<byte> memory, bool skip)
                {
                    var handle = {|PIN3002:memory.Pin()|};
                    if (skip)
                    {
                        handle.Dispose();
                        return;
                    }

                    log.Flush();
                    Console.WriteLine((nint)handle.Pointer);
                    handle.Dispose();
                }
            }
            """, """
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Send(Stream log, Memory<byte> memory, bool skip)
                {
                    var handle = memory.Pin();
                    try
                    {
                        if (skip)
                        {
                            handle.Dispose();
                            return;
                        }

                        log.Flush();
                        Console.WriteLine((nint)handle.Pointer);
                    }
                    finally
                    {
                        handle.Dispose();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task AcrossAwait_UsingStillDisposes()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO;
            using System.Threading.Tasks;

            static class Native
            {
                public static async Task CopyAsync(Stream source, Memory<byte> memory)
                {
                    var handle = {|PIN3002:memory.Pin()|};
                    await source.ReadAsync(memory);
                    handle.Dispose();
                }
            }
            """, """
            using System;
            using System.IO;
            using System.Threading.Tasks;

            static class Native
            {
                public static async Task CopyAsync(Stream source, Memory<byte> memory)
                {
                    using var handle = memory.Pin();
                    await source.ReadAsync(memory);
                }
            }
            """, Key);

    [Fact]
    public Task FixAll_TwoHandlesInOneMethod()
        => Verify.VerifyFixAllAsync("""
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Send(Stream log, Memory<byte> header, Memory<byte> body)
                {
                    var first = {|PIN3002:header.Pin()|};
                    var second = {|PIN3002:body.Pin()|};
                    log.Flush();
                    Console.WriteLine((nint)first.Pointer + (nint)second.Pointer);
                }
            }
            """, """
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Send(Stream log, Memory<byte> header, Memory<byte> body)
                {
                    using var first = header.Pin();
                    using var second = body.Pin();
                    log.Flush();
                    Console.WriteLine((nint)first.Pointer + (nint)second.Pointer);
                }
            }
            """, """
            using System;
            using System.IO;

            unsafe static class Native
            {
                public static void Send(Stream log, Memory<byte> header, Memory<byte> body)
                {
                    using var first = header.Pin();
                    using var second = body.Pin();
                    log.Flush();
                    Console.WriteLine((nint)first.Pointer + (nint)second.Pointer);
                }
            }
            """, Key, iterations: 2);

    [Fact]
    public Task DiscardedPin_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;

            static class Native
            {
                public static void Touch(Memory<byte> memory)
                {
                    {|PIN3002:memory.Pin()|};
                }
            }
            """);

    [Fact]
    public Task HandleCopied_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Buffers;
            using System.IO;

            static class Native
            {
                public static void Send(Stream log, Memory<byte> memory)
                {
                    var handle = {|PIN3002:memory.Pin()|};
                    MemoryHandle copy = handle;
                    log.Flush();
                    copy.Dispose();
                }
            }
            """);

    [Fact]
    public Task PinInsideALargerExpression_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;

            unsafe static class Native
            {
                public static void Print(Memory<byte> memory) => Console.WriteLine((nint){|PIN3002:memory.Pin()|}.Pointer);
            }
            """);
}
