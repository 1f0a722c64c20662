using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.PinnedHandleAnalyzer, PinAnalyzers.CodeFixes.PinTheVariableCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN1004 "Pin the variable, not a boxed copy": <c>&amp;local</c> for a local or parameter, a <c>fixed</c> over a field.</summary>
public sealed class PIN1004PinTheVariableCodeFixTests
{
    private const string Key = PinTheVariableCodeFix.EquivalenceKey;

    [Fact]
    public Task StructLocal_TakesItsAddress_AndTheHandleGoesAway()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
                public int Flags;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static Header Read()
                {
                    var header = new Header();
                    var handle = {|PIN1004:GCHandle.Alloc(header, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return header;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
                public int Flags;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static unsafe Header Read()
                {
                    var header = new Header();
                    fill((nint)(&header));

                    return header;
                }
            }
            """, Key);

    [Fact]
    public Task AlreadyUnsafe_AddressKeptInALocal_GuardedFree()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int get_count(IntPtr count);

                public static int Count()
                {
                    int count = 0;
                    var handle = {|PIN1004:GCHandle.Alloc(count, GCHandleType.Pinned)|};
                    var address = handle.AddrOfPinnedObject();
                    get_count(address);
                    if (handle.IsAllocated)
                    {
                        handle.Free();
                    }

                    return count;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int get_count(IntPtr count);

                public static int Count()
                {
                    int count = 0;
                    var address = (nint)(&count);
                    get_count(address);

                    return count;
                }
            }
            """, Key);

    [Fact]
    public Task ValueParameter_TakesItsAddress()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int exchange(IntPtr value);

                public static long Exchange(long value)
                {
                    var handle = {|PIN1004:GCHandle.Alloc(value, GCHandleType.Pinned)|};
                    exchange(handle.AddrOfPinnedObject());
                    handle.Free();
                    return value;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int exchange(IntPtr value);

                public static unsafe long Exchange(long value)
                {
                    exchange((nint)(&value));
                    return value;
                }
            }
            """, Key);

    [Fact]
    public Task StructFieldOfAClass_FixedOverTheField()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Stats
            {
                public long Reads;
                public long Writes;
            }

            sealed class Device
            {
                [DllImport("libc")] private static extern int query(IntPtr stats);

                private Stats _stats;

                public long Refresh()
                {
                    var handle = {|PIN1004:GCHandle.Alloc(_stats, GCHandleType.Pinned)|};
                    try
                    {
                        query(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return _stats.Reads;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            struct Stats
            {
                public long Reads;
                public long Writes;
            }

            sealed class Device
            {
                [DllImport("libc")] private static extern int query(IntPtr stats);

                private Stats _stats;

                public unsafe long Refresh()
                {
                    fixed (Stats* stats = &_stats)
                    {
                        query((nint)stats);
                    }

                    return _stats.Reads;
                }
            }
            """, Key);

    [Fact]
    public Task FixAll_TwoLocals()
        => Verify.VerifyFixAllAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int pair(IntPtr first, IntPtr second);

                public static int Pair()
                {
                    int first = 0;
                    int second = 0;
                    var a = {|PIN1004:GCHandle.Alloc(first, GCHandleType.Pinned)|};
                    var b = {|PIN1004:GCHandle.Alloc(second, GCHandleType.Pinned)|};
                    pair(a.AddrOfPinnedObject(), b.AddrOfPinnedObject());
                    b.Free();
                    a.Free();
                    return first + second;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int pair(IntPtr first, IntPtr second);

                public static int Pair()
                {
                    int first = 0;
                    int second = 0;
                    pair((nint)(&first), (nint)(&second));
                    return first + second;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern int pair(IntPtr first, IntPtr second);

                public static int Pair()
                {
                    int first = 0;
                    int second = 0;
                    pair((nint)(&first), (nint)(&second));
                    return first + second;
                }
            }
            """, Key, iterations: 2);

    [Fact]
    public Task AddressReturned_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                private static int s_last;

                public static IntPtr Leak()
                {
                    var value = 42;
                    var handle = {|PIN1004:GCHandle.Alloc(value, GCHandleType.Pinned)|};
                    var address = handle.AddrOfPinnedObject();
                    handle.Free();
                    s_last = value;
                    {|PIN2004:return address;|}
                }
            }
            """);

    [Fact]
    public Task HandleStoredInAField_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                private GCHandle _handle;

                public int Hold()
                {
                    var value = 42;
                    var handle = {|PIN1004:{|PIN1001:GCHandle.Alloc(value, GCHandleType.Pinned)|}|};
                    _handle = handle;
                    return value;
                }
            }
            """);

    [Fact]
    public Task LocalCapturedByALambda_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value);

                public static Func<int> Read()
                {
                    var value = 0;
                    var handle = {|PIN1004:GCHandle.Alloc(value, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return () => value;
                }
            }
            """);

    [Fact]
    public Task AsyncMethod_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value);

                public static async Task<int> ReadAsync()
                {
                    var value = 0;
                    await Task.Yield();
                    var handle = {|PIN1004:GCHandle.Alloc(value, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return value;
                }
            }
            """);

    [Fact]
    public Task NullableValue_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value);

                public static int? Read(int? value)
                {
                    var handle = {|PIN1004:GCHandle.Alloc(value, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return value;
                }
            }
            """);

    /// <summary>
    /// A call's result has no original that could be read again: the box-to-get-an-address idiom, no PIN1004
    /// (see PIN1004PinnedValueTypeTests.StructReturnedByCallHasNoOriginalToMiss), so nothing to fix.
    /// </summary>
    [Fact]
    public Task ValueReturnedByACall_NoDiagnostic()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value);

                private static long Next() => 1;

                public static void Read()
                {
                    var handle = GCHandle.Alloc(Next(), GCHandleType.Pinned);
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task FieldOfAStructLocal_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Inner
            {
                public long Value;
            }

            struct Outer
            {
                public Inner Inner;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value);

                public static long Read()
                {
                    var outer = new Outer();
                    var handle = {|PIN1004:GCHandle.Alloc(outer.Inner, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return outer.Inner.Value;
                }
            }
            """);

    [Fact]
    public Task UnsafeCodeNotAllowed_NoFix()
    {
        const string source = """
                using System;
                using System.Runtime.InteropServices;

                static class Native
                {
                    [DllImport("libc")] private static extern int fill(IntPtr value);

                    public static int Read()
                    {
                        var value = 0;
                        var handle = {|PIN1004:GCHandle.Alloc(value, GCHandleType.Pinned)|};
                        try
                        {
                            fill(handle.AddrOfPinnedObject());
                        }
                        finally
                        {
                            handle.Free();
                        }

                        return value;
                    }
                }
                """;
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.SolutionTransforms.Add((solution, projectId) => solution.WithProjectCompilationOptions(
            projectId, ((Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions)solution.GetProject(projectId)!.CompilationOptions!).WithAllowUnsafe(false)));
        return test.RunAsync(CancellationToken.None);
    }
}
