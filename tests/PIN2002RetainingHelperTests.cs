using Xunit;
using VerifyFixed = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;
using VerifyHandle = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// Helpers that keep a pointer (DESIGN.md, "Pins made by helpers (one level)"): a source method whose pointer, IntPtr or
/// span parameter escapes in its body is itself a retaining call for that parameter.
/// </summary>
public sealed class PIN2002RetainingHelperTests
{
    private const string Helpers = """
        unsafe sealed class Reader
        {
            private byte* _buffer;
            private static System.Action? s_later;

            public void Attach(byte* buffer) => _buffer = buffer;

            public static void Later(System.IntPtr p) => System.Threading.Tasks.Task.Run(() => Use(p));

            public static System.Threading.Tasks.Task Continue(System.Threading.Tasks.Task t, System.IntPtr p) => t.ContinueWith(_ => Use(p));

            public static void Stored(System.IntPtr p) => s_later = () => Use(p);

            public static void Sync(byte* p, int n)
            {
                for (var i = 0; i < n; i++)
                {
                    p[i] = 0;
                }
            }

            public static void Parallel(System.IntPtr p) => System.Threading.Tasks.Parallel.For(0, 4, i => Use(p));

            public static void Local(System.IntPtr p)
            {
                System.Action a = () => Use(p);
                a();
            }

            private static void Use(System.IntPtr p) { }
        }
        """;

    [Fact]
    public Task FixedPointerHandedToHelpersThatKeepIt()
        => VerifyFixed.VerifyAsync($$"""
            using System;
            using System.Threading.Tasks;

            {{Helpers}}

            static unsafe class C
            {
                public static void M(Reader reader, byte[] data, Task task)
                {
                    fixed (byte* p = data)
                    {
                        reader.Attach({|#0:p|});
                        Reader.Later({|#1:(IntPtr)p|});
                        Reader.Continue(task, {|#2:(IntPtr)p|});
                        Reader.Stored({|#3:(IntPtr)p|});
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Attach", ""),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(1).WithArguments("Later", ""),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(2).WithArguments("Continue", ": the task may still be running when the fixed statement ends"),
            VerifyFixed.Diagnostic("PIN2002").WithLocation(3).WithArguments("Stored", ""));

    [Fact]
    public Task HelpersThatUseThePointerDuringTheCallAreNotRetaining()
        => VerifyFixed.VerifyAsync($$"""
            using System;

            {{Helpers}}

            static unsafe class C
            {
                public static void M(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        Reader.Sync(p, data.Length);
                        Reader.Parallel((IntPtr)p);
                        Reader.Local((IntPtr)p);
                    }
                }
            }
            """);

    [Fact]
    public Task UnreleasedHandleAddressHandedToAHelperThatKeepsIt()
        => VerifyHandle.VerifyAsync($$"""
            using System.Runtime.InteropServices;

            {{Helpers}}

            static class C
            {
                public static void Kept(byte[] data)
                {
                    var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                    Reader.Later(handle.AddrOfPinnedObject());
                }

                public static void FreedButKept(byte[] data)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    try
                    {
                        Reader.Later({|#1:handle.AddrOfPinnedObject()|});
                    }
                    finally
                    {
                        handle.Free();
                    }
                }

                public static void FreedAndSync(byte[] data)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    try
                    {
                        Reader.Parallel(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is passed to 'Later', which keeps it"),
            VerifyHandle.Diagnostic("PIN2002").WithLocation(1).WithArguments("Later", ""));
    private const string Columns = """
        using System;
        using System.Runtime.InteropServices;

        struct NativeSetColumn { public IntPtr pvData; public uint cbData; public int err; }

        unsafe abstract class ColumnValue
        {
            [DllImport("esent")] private static extern int JetSetColumns(NativeSetColumn* cols, int n);

            public int Error;

            internal abstract int SetColumns(ColumnValue[] values, NativeSetColumn* cols, int i);

            // Fills the caller's descriptor and consumes it before returning: the next column pins its data
            // inside this call, the last one makes the native call.
            internal int SetColumns(ColumnValue[] values, NativeSetColumn* cols, int i, void* buffer, int size)
            {
                cols[i].cbData = (uint)size;
                cols[i].pvData = new IntPtr(buffer);
                int err = i == values.Length - 1 ? JetSetColumns(cols, values.Length) : values[i + 1].SetColumns(values, cols, i + 1);
                Error = cols[i].err;
                return err;
            }

            // Fills the caller's descriptor for later: the address stays there after the call.
            internal static void Describe(NativeSetColumn* cols, int i, void* buffer, int size)
            {
                cols[i].cbData = (uint)size;
                cols[i].pvData = new IntPtr(buffer);
            }
        }

        """;

    [Fact]
    public Task HelperThatFillsTheCallersDescriptorsAndConsumesThemDoesNotKeepThePointer()
        => VerifyFixed.VerifyAsync(Columns + """
            unsafe sealed class BytesColumnValue : ColumnValue
            {
                public byte[]? Value;

                internal override int SetColumns(ColumnValue[] values, NativeSetColumn* cols, int i)
                {
                    if (Value != null)
                    {
                        fixed (void* buffer = Value)
                        {
                            return SetColumns(values, cols, i, buffer, Value.Length);
                        }
                    }

                    return SetColumns(values, cols, i, null, 0);
                }
            }
            """);

    [Fact]
    public Task HelperThatFillsTheCallersDescriptorsForLaterKeepsThePointer()
        => VerifyFixed.VerifyAsync(Columns + """
            unsafe sealed class BytesColumnValue : ColumnValue
            {
                public byte[]? Value;

                internal override int SetColumns(ColumnValue[] values, NativeSetColumn* cols, int i)
                {
                    fixed (void* buffer = Value)
                    {
                        Describe(cols, i, {|#0:buffer|}, Value!.Length);
                        return SetColumns(values, cols, i, buffer, Value.Length);
                    }
                }
            }
            """,
            VerifyFixed.Diagnostic("PIN2002").WithLocation(0).WithArguments("Describe", ""));
}
