using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.UnsafeAsPointerAnalyzer, PinAnalyzers.CodeFixes.PinWithFixedCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN2003 "Pin with a fixed statement": the pointer's uses move into a <c>fixed</c> over the same memory (PIN2001's block logic).</summary>
public sealed class PIN2003PinWithFixedCodeFixTests
{
    private const string Key = PinWithFixedCodeFix.EquivalenceKey;

    [Fact]
    public Task ArrayElement_BecomesAFixedOverTheElement()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static int Sum(byte[] data, int i)
                {
                    var p = (byte*){|PIN2003:Unsafe.AsPointer(ref data[i])|};
                    var q = p + 1;
                    var sum = *p + *q;
                    Console.WriteLine(sum);

                    return data.Length;
                }
            }
            """, """
            using System;
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static int Sum(byte[] data, int i)
                {
                    fixed (byte* p = &data[i])
                    {
                        var q = p + 1;
                        var sum = *p + *q;
                        Console.WriteLine(sum);
                    }

                    return data.Length;
                }
            }
            """, Key);

    [Fact]
    public Task FirstElement_KeepsTheIndexCheck()
        => Verify.VerifyFixAsync("""
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static long First(long[] values)
                {
                    long* p = (long*){|PIN2003:Unsafe.AsPointer(ref values[0])|};
                    return *p;
                }
            }
            """, """
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static long First(long[] values)
                {
                    fixed (long* p = &values[0])
                    {
                        return *p;
                    }
                }
            }
            """, Key);

    [Fact]
    public Task ArrayDataReference_PinsTheArray()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                public static void Clear(int[] values)
                {
                    var p = (int*){|PIN2003:Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(values))|};
                    new Span<int>(p, values.Length).Clear();
                }
            }
            """, """
            using System;
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                public static void Clear(int[] values)
                {
                    fixed (int* p = values)
                    {
                        new Span<int>(p, values.Length).Clear();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task FieldOfAClass_BecomesAFixedOverTheField()
        => Verify.VerifyFixAsync("""
            using System.Runtime.CompilerServices;

            sealed class Counter
            {
                public long Value;
            }

            unsafe static class Native
            {
                public static void Bump(Counter counter)
                {
                    var p = (long*){|PIN2003:Unsafe.AsPointer(ref counter.Value)|};
                    *p += 1;
                }
            }
            """, """
            using System.Runtime.CompilerServices;

            sealed class Counter
            {
                public long Value;
            }

            unsafe static class Native
            {
                public static void Bump(Counter counter)
                {
                    fixed (long* p = &counter.Value)
                    {
                        *p += 1;
                    }
                }
            }
            """, Key);

    [Fact]
    public Task VoidPointer_FixedVoidPointer()
        => Verify.VerifyFixAsync("""
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                public static void Send(int fd, byte[] data)
                {
                    var p = {|PIN2003:Unsafe.AsPointer(ref data[0])|};
                    write(fd, p, data.Length);
                }
            }
            """, """
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                public static void Send(int fd, byte[] data)
                {
                    fixed (void* p = &data[0])
                    {
                        write(fd, p, data.Length);
                    }
                }
            }
            """, Key);

    [Fact]
    public Task OtherPointerType_PinsTheElementTypeAndConverts()
        => Verify.VerifyFixAsync("""
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static byte LowByte(int[] values, int i)
                {
                    var p = (byte*){|PIN2003:Unsafe.AsPointer(ref values[i])|};
                    p++;
                    return *p;
                }
            }
            """, """
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static byte LowByte(int[] values, int i)
                {
                    fixed (int* pinned = &values[i])
                    {
                        var p = (byte*)pinned;
                        p++;
                        return *p;
                    }
                }
            }
            """, Key);

    [Fact]
    public Task FixAll_TwoPointersInOneBlock()
        => Verify.VerifyFixAllAsync("""
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static int Sum(int[] a, int[] b)
                {
                    var p = (int*){|PIN2003:Unsafe.AsPointer(ref a[0])|};
                    var q = (int*){|PIN2003:Unsafe.AsPointer(ref b[0])|};
                    return *p + *q;
                }
            }
            """, """
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static int Sum(int[] a, int[] b)
                {
                    fixed (int* p = &a[0])
                    {
                        fixed (int* q = &b[0])
                        {
                            return *p + *q;
                        }
                    }
                }
            }
            """, """
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static int Sum(int[] a, int[] b)
                {
                    fixed (int* p = &a[0])
                    {
                        fixed (int* q = &b[0])
                        {
                            return *p + *q;
                        }
                    }
                }
            }
            """, Key, iterations: 2);

    [Fact]
    public Task PointerReturned_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.Runtime.CompilerServices;

            unsafe static class Native
            {
                public static byte* Scratch(byte[] buffer)
                {
                    var p = (byte*){|PIN2003:Unsafe.AsPointer(ref buffer[0])|};
                    var q = p + 1;
                    return q;
                }
            }
            """);

    [Fact]
    public Task PointerStoredInAField_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.Runtime.CompilerServices;

            unsafe sealed class Parser
            {
                private byte* _cursor;

                public void Start(byte[] buffer)
                {
                    var p = (byte*){|PIN2003:Unsafe.AsPointer(ref buffer[0])|};
                    _cursor = p + 1;
                }
            }
            """);

    [Fact]
    public Task PointerStoredInAnOuterLocal_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe static class Parser
            {
                public static void Start(byte[] buffer, bool go)
                {
                    byte* cursor = null;
                    if (go)
                    {
                        var p = (byte*){|PIN2003:Unsafe.AsPointer(ref buffer[0])|};
                        cursor = p;
                    }

                    Console.WriteLine(*cursor);
                }
            }
            """);

    [Fact]
    public Task PointerUsedAcrossAwait_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.CompilerServices;
            using System.Threading.Tasks;

            static class Parser
            {
                public static async Task StartAsync(byte[] buffer)
                {
                    nint address;
                    unsafe
                    {
                        var p = (byte*){|PIN2003:Unsafe.AsPointer(ref buffer[0])|};
                        address = (nint)p;
                    }

                    await Task.Yield();
                    Console.WriteLine(address);
                }
            }
            """);

    [Fact]
    public Task PointerCapturedByALambda_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe static class Parser
            {
                public static Func<int> Reader(int[] buffer)
                {
                    var p = (int*){|PIN2003:Unsafe.AsPointer(ref buffer[0])|};
                    Func<int> read = () => *p;
                    return read;
                }
            }
            """);

    [Fact]
    public Task NotADeclaration_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe static class Parser
            {
                public static void Print(int[] buffer)
                {
                    int* p;
                    p = (int*){|PIN2003:Unsafe.AsPointer(ref buffer[0])|};
                    Console.WriteLine(*p);
                }
            }
            """);

    [Fact]
    public Task FixedLocalWritten_WhenItWouldBeTheFixedLocal_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.Runtime.CompilerServices;

            unsafe static class Parser
            {
                public static int Sum(int[] buffer)
                {
                    var p = (int*){|PIN2003:Unsafe.AsPointer(ref buffer[0])|};
                    var sum = *p;
                    p++;
                    return sum + *p;
                }
            }
            """);

    [Fact]
    public Task ManagedElementType_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.Runtime.CompilerServices;

            unsafe static class Parser
            {
                public static void* Slot(string[] names) => {|PIN2003:Unsafe.AsPointer(ref names[0])|};

                public static void Touch(string[] names)
                {
                    var p = {|PIN2003:Unsafe.AsPointer(ref names[0])|};
                    System.Console.WriteLine((nint)p);
                }
            }
            """);
}
