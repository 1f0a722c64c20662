using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;

namespace PinAnalyzers.Tests;

public sealed class PIN2001PointerEscapesFixedTests
{
    [Fact]
    public Task StoredInField()
        => Verify.VerifyAsync("""
            unsafe sealed class Parser
            {
                private byte* _cursor;

                public void Start(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        {|#0:_cursor = p|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in field '_cursor'"));

    [Fact]
    public Task OffsetPointerStoredInStaticField()
        => Verify.VerifyAsync("""
            unsafe static class Parser
            {
                private static byte* s_cursor;

                public static void Start(byte[] data, int offset)
                {
                    fixed (byte* p = data)
                    {
                        {|#0:s_cursor = p + offset|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in static field 's_cursor'"));

    [Fact]
    public Task IntPtrStoredInProperty()
        => Verify.VerifyAsync("""
            using System;

            unsafe sealed class Parser
            {
                public IntPtr Address { get; private set; }

                public void Start(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        {|#0:Address = new IntPtr(p)|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in property 'Address'"));

    [Fact]
    public Task Returned()
        => Verify.VerifyAsync("""
            unsafe static class Parser
            {
                public static int* Find(int[] values)
                {
                    fixed (int* p = values)
                    {
                        {|#0:return p + 1;|}
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("returned"));

    [Fact]
    public Task CastToNintAndReturned()
        => Verify.VerifyAsync("""
            unsafe static class Parser
            {
                public static nint AddressOf(string text)
                {
                    fixed (char* p = text)
                    {
                        {|#0:return (nint)p;|}
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("returned"));

    [Fact]
    public Task WrittenToOutParameter()
        => Verify.VerifyAsync("""
            unsafe static class Parser
            {
                public static void Start(byte[] data, out byte* cursor)
                {
                    fixed (byte* p = &data[0])
                    {
                        {|#0:cursor = p|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("written to out parameter 'cursor'"));

    [Fact]
    public Task StoredInArrayElement()
        => Verify.VerifyAsync("""
            unsafe static class Parser
            {
                public static void Collect(byte[] data, long[] addresses)
                {
                    fixed (byte* p = data)
                    {
                        {|#0:addresses[0] = (long)p|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in an array element"));

    [Fact]
    public Task OuterLocalReadAfterStatement()
        => Verify.VerifyAsync("""
            unsafe static class Parser
            {
                public static byte Peek(byte[] data)
                {
                    byte* q = null;
                    fixed (byte* p = data)
                    {
                        {|#0:q = p|};
                    }

                    return *q;
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("written to 'q', which is read after the fixed statement ends"));

    [Fact]
    public Task OuterLocalReadInNextIteration()
        => Verify.VerifyAsync("""
            unsafe static class Parser
            {
                public static int Sum(byte[][] blocks)
                {
                    byte* previous = null;
                    var sum = 0;
                    foreach (var block in blocks)
                    {
                        fixed (byte* p = block)
                        {
                            if (previous != null) sum += *previous;
                            {|#0:previous = p|};
                        }
                    }

                    return sum;
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("written to 'previous', which is read after the fixed statement ends"));

    [Fact]
    public Task CopyCapturedByLambda()
        => Verify.VerifyAsync("""
            using System;

            unsafe static class Parser
            {
                public static Func<byte> Reader(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        byte* q = p;
                        return () => *{|#0:q|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("captured by a lambda"));

    [Fact]
    public Task FieldAddressStoredInField()
        => Verify.VerifyAsync("""
            unsafe sealed class Node
            {
                public int Value;
                private static int* s_last;

                public static void Remember(Node node)
                {
                    fixed (int* p = &node.Value)
                    {
                        {|#0:s_last = p|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in static field 's_last'"));

    [Fact]
    public Task SpanPinnableReferenceStoredInField()
        => Verify.VerifyAsync("""
            using System;

            unsafe sealed class Parser
            {
                private byte* _start;

                public void Start(Span<byte> data)
                {
                    fixed (byte* p = data)
                    {
                        {|#0:_start = p|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in field '_start'"));

    // ---- valid code ----

    [Fact]
    public Task PointerUsedOnlyInsideBlock()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, byte* buffer, nint count);

                public static long Send(int fd, byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        byte* end = p + data.Length;
                        long sent = 0;
                        for (byte* q = p; q < end; q += 512)
                        {
                            sent += write(fd, q, (nint)(end - q < 512 ? end - q : 512));
                        }

                        return sent + (end - p);
                    }
                }
            }
            """);

    [Fact]
    public Task OuterLocalOverwrittenBeforeRead()
        => Verify.VerifyAsync("""
            unsafe static class Parser
            {
                public static bool Check(byte[] data)
                {
                    byte* q = null;
                    fixed (byte* p = data)
                    {
                        q = p;
                        if (*q == 0) return false;
                    }

                    q = null;
                    return q == null;
                }
            }
            """);

    [Fact]
    public Task ValueReadThroughPointerReturned()
        => Verify.VerifyAsync("""
            using System;

            unsafe static class Parser
            {
                public static int First(int[] values, string text)
                {
                    fixed (int* p = values)
                    fixed (char* c = text)
                    {
                        var span = new ReadOnlySpan<char>(c, text.Length);
                        return p[0] + *(p + 1) + span.IndexOf('x') + new string(c, 0, 2).Length;
                    }
                }
            }
            """);

    // ---- writes into memory pinned by the same fixed (DESIGN.md, PIN2001): scratch blocks not read after the statement ----

    [Fact]
    public Task AddressWrittenIntoArrayPinnedByEnclosingFixed_NotAnEscape()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Gather
            {
                [DllImport("lib")] private static extern int writev(int fd, IntPtr* buffers, int count);

                public static int Send(int fd, byte[] header, byte[] body)
                {
                    var buffers = new IntPtr[2];
                    fixed (IntPtr* list = buffers)
                    fixed (byte* h = header)
                    fixed (byte* b = body)
                    {
                        buffers[0] = (IntPtr)h;
                        list[1] = (IntPtr)b;
                        return writev(fd, list, 2);
                    }
                }
            }
            """);

    [Fact]
    public Task AddressWrittenIntoArrayPinnedBySiblingFixed_NotAnEscape()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Gather
            {
                [DllImport("lib")] private static extern int writev(int fd, IntPtr* buffers, int count);

                public static int Send(int fd, byte[] body)
                {
                    var buffers = new IntPtr[1];
                    fixed (byte* b = body)
                    {
                        fixed (IntPtr* list = buffers)
                        {
                            list[0] = (IntPtr)b;
                            return writev(fd, list, 1);
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task AddressWrittenIntoStackallocStructs_NotAnEscape()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            [StructLayout(LayoutKind.Sequential)]
            struct Column { public IntPtr pvData; public uint cbData; }

            unsafe static class Columns
            {
                [DllImport("esent")] private static extern int JetRetrieveColumns(Column* columns, int count);

                public static int Retrieve(byte[] buffer, int count)
                {
                    Column* columns = stackalloc Column[count];
                    fixed (byte* pinned = buffer)
                    {
                        for (var i = 0; i < count; i++)
                        {
                            columns[i].pvData = new IntPtr(pinned + i);
                            columns[i].cbData = 1;
                        }

                        return JetRetrieveColumns(columns, count);
                    }
                }
            }
            """);

    [Fact]
    public Task ScratchArrayReadAfterTheStatement_StillAnEscape()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe static class Gather
            {
                [DllImport("lib")] private static extern int writev(int fd, IntPtr* buffers, int count);

                public static IntPtr Send(int fd, byte[] body)
                {
                    var buffers = new IntPtr[1];
                    fixed (IntPtr* list = buffers)
                    {
                        fixed (byte* b = body)
                        {
                            {|#0:buffers[0] = (IntPtr)b|};
                            writev(fd, list, 1);
                        }
                    }

                    return buffers[0];
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in an array element"));

    [Fact]
    public Task ArrayNotCreatedHere_StillAnEscape_NextToAScratchWrite()
        => Verify.VerifyAsync("""
            using System;

            unsafe sealed class Gather
            {
                private readonly IntPtr[] _kept = new IntPtr[1];

                public void Send(byte[] body)
                {
                    var scratch = new IntPtr[1];
                    var kept = _kept;
                    fixed (byte* b = body)
                    {
                        scratch[0] = (IntPtr)b;
                        {|#0:kept[0] = (IntPtr)b|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in an array element"));
    [Fact]
    public Task ReferenceReturnedThroughUnsafeAsRefIsTrackedByTheGC()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            struct SpanByte { public int Length; }

            unsafe static class Reinterpret
            {
                public static ref SpanByte WithLength(Span<byte> span)
                {
                    fixed (byte* ptr = span)
                    {
                        *(int*)ptr = span.Length - sizeof(int);
                        return ref Unsafe.AsRef<SpanByte>(ptr);
                    }
                }

                public static int ReadLength(ReadOnlySpan<byte> span)
                {
                    ref SpanByte header = ref Unsafe.NullRef<SpanByte>();
                    fixed (byte* ptr = span)
                    {
                        header = ref Unsafe.AsRef<SpanByte>(ptr);
                    }

                    return header.Length;
                }
            }
            """);

    [Fact]
    public Task PointerReturnedNextToTrackedReferenceStillReports()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            struct SpanByte { public int Length; }

            unsafe static class Reinterpret
            {
                public static ref SpanByte AsRef(Span<byte> span) { fixed (byte* ptr = span) { return ref Unsafe.AsRef<SpanByte>(ptr); } }

                public static SpanByte* AsPointer(Span<byte> span)
                {
                    fixed (byte* ptr = span)
                    {
                        {|#0:return (SpanByte*)Unsafe.AsPointer(ref Unsafe.AsRef<SpanByte>(ptr));|}
                    }
                }

                public static IntPtr Address(Span<byte> span)
                {
                    fixed (byte* ptr = span)
                    {
                        {|#1:return (IntPtr)ptr;|}
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("returned"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("returned"));
    private const string SpriteBatch = """
        using System;
        using System.Collections.Generic;

        struct SpriteInfo { public float depth; }

        unsafe sealed class SpriteBatch
        {
            private SpriteInfo[] spriteInfos = new SpriteInfo[2048];
            private IntPtr[] sortedSpriteInfos = new IntPtr[2048]; // SpriteInfo*[]
            private int numSprites;

            public void Grow(int newMax)
            {
                Array.Resize(ref spriteInfos, newMax);
                Array.Resize(ref sortedSpriteInfos, newMax);
            }

            public int Capacity => sortedSpriteInfos.Length;

            public float Flush(IComparer<IntPtr> comparer)
            {
                float total = 0;
                fixed (SpriteInfo* spriteInfo = &spriteInfos[0])
                {
                    fixed (IntPtr* sortedSpriteInfo = &sortedSpriteInfos[0])
                    {
                        for (int i = 0; i < numSprites; i += 1)
                        {
                            WRITE;
                        }

                        Array.Sort(sortedSpriteInfos, 0, numSprites, comparer);
                        for (int i = 0; i < numSprites; i += 1)
                        {
                            total += ((SpriteInfo*)sortedSpriteInfo[i])->depth;
                        }
                    }
                }

                return total;
            }

            MEMBERS
        }
        """;

    [Fact]
    public Task AddressWrittenIntoFieldArrayPinnedBySiblingFixedAndReadOnlyThere_NotAnEscape()
        => Verify.VerifyAsync(SpriteBatch.Replace("WRITE", "sortedSpriteInfo[i] = (IntPtr)(&spriteInfo[i])").Replace("MEMBERS", ""));

    [Fact]
    public Task AddressWrittenIntoFieldArrayReadElsewhere_StillAnEscape()
        => Verify.VerifyAsync(
            SpriteBatch.Replace("WRITE", "{|#0:sortedSpriteInfo[i] = (IntPtr)(&spriteInfo[i])|}")
                .Replace("MEMBERS", "public IntPtr First => sortedSpriteInfos[0];"),
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("written through a pointer"));
    [Fact]
    public Task ArrayFieldAlsoHeldByAPinnedHandleField_NotAnEscape()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            unsafe struct SubFrame { public int* Destination; }

            unsafe sealed class Frame
            {
                private int[] _dest = new int[64];
                private int[] _other = new int[64];
                private GCHandle _handle;

                public List<SubFrame> Allocate(int channels)
                {
                    var output = new List<SubFrame>();
                    fixed (int* p = _dest)
                    {
                        if (_handle.IsAllocated) _handle.Free();
                        _handle = GCHandle.Alloc(_dest, GCHandleType.Pinned);
                        output.Add(new SubFrame { Destination = p });
                    }

                    fixed (int* q = &_other[0])
                    {
                        output.Add({|#0:new SubFrame { Destination = q }|});
                    }

                    return output;
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("added to collection 'output'"));
}
