using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// A pointer from a <c>fixed</c> statement stored into a struct in <c>stackalloc</c>'d memory is carried by the stack
/// buffer, like an <c>iovec</c> local: not an escape while the buffer is used inside the statement (other fields read
/// after it included); an escape when the buffer is kept (field, retaining call) or the address is read after the
/// statement. A pointer parameter (the caller's memory) counts as such a buffer only when the statement hands it to a
/// call after filling it in.
/// </summary>
public sealed class PIN2001StackBufferTests
{
    private const string Prelude = """
        using System;
        using System.Runtime.InteropServices;

        struct NativeColumn { public IntPtr pvData; public uint cbData; public int err; }

        sealed class RetainsPointerAttribute : Attribute { }

        static unsafe class Native
        {
            [DllImport("esent")] public static extern int RetrieveColumns(NativeColumn* cols, int n);
            [RetainsPointer] public static void Submit(NativeColumn* cols, int n) { }
        }

        """;

    [Fact]
    public Task StackBufferConsumedInsideFixedIsNotAnEscape()
        => Verify.VerifyAsync(Prelude + """
            static unsafe class Columns
            {
                public static int Retrieve(byte[] buffer, int n)
                {
                    NativeColumn* cols = stackalloc NativeColumn[n];
                    fixed (byte* p = buffer)
                    {
                        for (int i = 0; i < n; i++) { cols[i].pvData = new IntPtr(p + i * 16); cols[i].cbData = 16; }
                        Native.RetrieveColumns(cols, n);
                    }

                    int errors = 0;
                    for (int i = 0; i < n; i++) if (cols[i].err != 0) errors++;
                    return errors;
                }

                public static int Single(byte[] buffer)
                {
                    var col = stackalloc NativeColumn[1];
                    fixed (byte* p = buffer)
                    {
                        col->pvData = (IntPtr)p;
                        (*col).cbData = (uint)buffer.Length;
                        Native.RetrieveColumns(col, 1);
                    }

                    return col->err;
                }
            }
            """);

    [Fact]
    public Task StackBufferKeptOrReadAfterIsReported()
        => Verify.VerifyAsync(Prelude + """
            static unsafe class Columns
            {
                private static NativeColumn* s_kept;

                public static IntPtr ReadAfter(byte[] buffer)
                {
                    NativeColumn* cols = stackalloc NativeColumn[1];
                    fixed (byte* p = buffer)
                    {
                        {|#0:cols[0].pvData = new IntPtr(p)|};
                        Native.RetrieveColumns(cols, 1);
                    }

                    return cols[0].pvData;
                }

                public static void Retained(byte[] buffer)
                {
                    NativeColumn* cols = stackalloc NativeColumn[1];
                    fixed (byte* p = buffer)
                    {
                        cols[0].pvData = new IntPtr(p);
                        Native.Submit({|#1:cols|}, 1);
                    }
                }

                public static void Stored(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        NativeColumn* cols = stackalloc NativeColumn[1];
                        cols->pvData = new IntPtr(p);
                        {|#2:s_kept = cols|};
                    }
                }

                public static void HeapBuffer(byte[] buffer)
                {
                    var cols = (NativeColumn*)Marshal.AllocHGlobal(sizeof(NativeColumn));
                    fixed (byte* p = buffer)
                    {
                        {|#3:cols->pvData = new IntPtr(p)|};
                        Native.RetrieveColumns(cols, 1);
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("written to 'cols', which is read after the fixed statement ends"),
            Verify.Diagnostic("PIN2002").WithLocation(1).WithArguments("Submit", ""),
            Verify.Diagnostic("PIN2001").WithLocation(2).WithArguments("stored in static field 's_kept'"),
            Verify.Diagnostic("PIN2001").WithLocation(3).WithArguments("stored in field 'pvData'"));

    [Fact]
    public Task PointerParameterFilledForACallInsideTheFixedIsNotAnEscape()
        => Verify.VerifyAsync(Prelude + """
            static unsafe class Columns
            {
                public static int PinAndRetrieve(NativeColumn* cols, byte[] buffer, int n)
                {
                    fixed (byte* p = buffer)
                    {
                        for (int i = 0; i < n; i++) cols[i].pvData = new IntPtr(p + i * 16);
                        return Native.RetrieveColumns(cols, n);
                    }
                }
            }
            """);

    [Fact]
    public Task PointerParameterFilledWithoutAConsumerIsReported()
        => Verify.VerifyAsync(Prelude + """
            static unsafe class Columns
            {
                public static void Prepare(NativeColumn* cols, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        {|#0:cols->pvData = new IntPtr(p)|};
                    }
                }

                public static void ConsumedBefore(NativeColumn* cols, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        Native.RetrieveColumns(cols, 1);
                        {|#1:cols[0].pvData = new IntPtr(p)|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in field 'pvData'"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("stored in field 'pvData'"));
    [Fact]
    public Task StackBufferHandedAfterTheStatementToAHelperThatReadsOtherFieldsIsNotAnEscape()
        => Verify.VerifyAsync(Prelude + """
            static unsafe class Columns
            {
                public static int Retrieve(byte[] buffer, int n)
                {
                    NativeColumn* cols = stackalloc NativeColumn[n];
                    fixed (byte* p = buffer)
                    {
                        byte* current = p;
                        for (int i = 0; i < n; i++) { cols[i].pvData = new IntPtr(current); cols[i].cbData = 16; current += 16; }
                        Native.RetrieveColumns(cols, n);
                    }

                    return RetrieveTruncated(cols, n) + Errors(cols, n);
                }

                private static int RetrieveTruncated(NativeColumn* cols, int n)
                {
                    int truncated = 0;
                    for (int i = 0; i < n; i++)
                    {
                        if (cols[i].err == 1004) { truncated += (int)cols[i].cbData; cols[i].pvData = IntPtr.Zero; }
                    }

                    return truncated;
                }

                private static int Errors(NativeColumn* cols, int n) => n > 0 ? cols->err : 0;
            }
            """);

    [Fact]
    public Task StackBufferHandedAfterTheStatementToAHelperThatReadsTheAddressIsReported()
        => Verify.VerifyAsync(Prelude + """
            static unsafe class Columns
            {
                public static IntPtr Retrieve(byte[] buffer, int n)
                {
                    NativeColumn* cols = stackalloc NativeColumn[n];
                    fixed (byte* p = buffer)
                    {
                        for (int i = 0; i < n; i++) { {|#0:cols[i].pvData = new IntPtr(p + i * 16)|}; }
                        Native.RetrieveColumns(cols, n);
                    }

                    return First(cols);
                }

                public static int RetrieveAndForward(byte[] buffer, int n)
                {
                    NativeColumn* cols = stackalloc NativeColumn[n];
                    fixed (byte* p = buffer)
                    {
                        {|#1:cols[0].pvData = new IntPtr(p)|};
                        Native.RetrieveColumns(cols, n);
                    }

                    return Forward(cols, n);
                }

                private static IntPtr First(NativeColumn* cols) => cols[0].pvData;
                private static int Forward(NativeColumn* cols, int n) => Native.RetrieveColumns(cols, n);
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("written to 'cols', which is read after the fixed statement ends"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("written to 'cols', which is read after the fixed statement ends"));

    private const string SettingsPrelude = """
        using System;
        using System.Runtime.InteropServices;

        struct DspNative { public IntPtr MatrixPointer; public IntPtr DelayPointer; public float Doppler; public int Channels; }

        sealed class DspSettings
        {
            public float[] Matrix = new float[4];
            public float[] Delays = new float[4];
            public float Doppler;

            internal void MarshalFrom(ref DspNative native) { Doppler = native.Doppler; }
            internal void MarshalPointerFrom(ref DspNative native) { Doppler = native.Doppler; Matrix = null; var m = native.MatrixPointer; }
            internal void MarshalWhole(ref DspNative native) { Keep(native); }
            private static void Keep(DspNative native) { }
        }

        static unsafe class Native
        {
            [DllImport("xaudio")] public static extern void Calculate(IntPtr settings);
        }

        """;

    [Fact]
    public Task StructLocalWhoseOtherFieldsAreReadAfterFixed_NoDiagnostic()
        // Vortice's X3DAudio.Calculate: the native struct gets the pinned addresses in two fields inside nested
        // fixed statements; after them only its scalar fields are read, directly or by a method taking it by ref.
        => Verify.VerifyAsync(SettingsPrelude + """
            static unsafe class X3DAudio
            {
                public static float Calculate(DspSettings settings)
                {
                    DspNative native;
                    native.Channels = 2;
                    fixed (void* matrix = settings.Matrix)
                    {
                        fixed (void* delays = settings.Delays)
                        {
                            native.MatrixPointer = (IntPtr)matrix;
                            native.DelayPointer = (IntPtr)delays;
                            Native.Calculate(new IntPtr(&native));
                        }
                    }

                    settings.MarshalFrom(ref native);
                    return native.Doppler + native.Channels;
                }
            }
            """);

    [Fact]
    public Task StructLocalWhosePointerFieldIsReadAfterFixed_Reported()
        => Verify.VerifyAsync(SettingsPrelude + """
            static unsafe class X3DAudio
            {
                public static IntPtr ReadsThePointer(DspSettings settings)
                {
                    DspNative native = default;
                    fixed (void* matrix = settings.Matrix)
                    {
                        {|#0:native.MatrixPointer = (IntPtr)matrix|};
                        Native.Calculate(new IntPtr(&native));
                    }

                    return native.MatrixPointer;
                }

                public static void ByRefReadsThePointer(DspSettings settings)
                {
                    DspNative native = default;
                    fixed (void* matrix = settings.Matrix)
                    {
                        {|#1:native.MatrixPointer = (IntPtr)matrix|};
                        Native.Calculate(new IntPtr(&native));
                    }

                    settings.MarshalPointerFrom(ref native);
                }

                public static void ByRefPassesItOn(DspSettings settings)
                {
                    DspNative native = default;
                    fixed (void* matrix = settings.Matrix)
                    {
                        {|#2:native.MatrixPointer = (IntPtr)matrix|};
                        Native.Calculate(new IntPtr(&native));
                    }

                    settings.MarshalWhole(ref native);
                }

                public static DspNative CopiedWhole(DspSettings settings)
                {
                    DspNative native = default;
                    fixed (void* matrix = settings.Matrix)
                    {
                        {|#3:native.MatrixPointer = (IntPtr)matrix|};
                        Native.Calculate(new IntPtr(&native));
                    }

                    var copy = native;
                    return copy;
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("written to 'native', which is read after the fixed statement ends"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("written to 'native', which is read after the fixed statement ends"),
            Verify.Diagnostic("PIN2001").WithLocation(2).WithArguments("written to 'native', which is read after the fixed statement ends"),
            Verify.Diagnostic("PIN2001").WithLocation(3).WithArguments("written to 'native', which is read after the fixed statement ends"));

    [Fact]
    public Task StackBlockSeenThroughACastAlias_NoDiagnostic_AliasReadAfterFixed_Reported()
        // ILGPU's NVVM options: var values = (void**)optionValues over a stackalloc'd block, filled in and handed to
        // the native call inside the fixed statement.
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Nvvm
            {
                [DllImport("nvvm")] public static extern int CompileProgram(IntPtr program, int count, IntPtr options);

                public static int Compile(IntPtr program, byte[] option)
                {
                    fixed (byte* optionPtr = option)
                    {
                        var optionValues = stackalloc byte[sizeof(void*)];
                        var values = (void**)optionValues;
                        values[0] = optionPtr;
                        return CompileProgram(program, 1, new IntPtr(values));
                    }
                }

                public static IntPtr ReadAfter(IntPtr program, byte[] option)
                {
                    var optionValues = stackalloc byte[sizeof(void*)];
                    var values = (void**)optionValues;
                    fixed (byte* optionPtr = option)
                    {
                        {|#0:values[0] = optionPtr|};
                        CompileProgram(program, 1, new IntPtr(values));
                    }

                    return (IntPtr)values[0];
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("written through a pointer"));

    [Fact]
    public Task NativeBlockTheMethodFrees_NoDiagnostic_KeptOrReadAfter_Reported()
        // Avalonia's X11Window: XAllocClassHint, fill in the two names inside fixed, XSetClassHint, then XFree.
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe struct XClassHint { public byte* res_name; public byte* res_class; }

            static unsafe class X11
            {
                [DllImport("libX11")] public static extern XClassHint* XAllocClassHint();
                [DllImport("libX11")] public static extern int XSetClassHint(IntPtr display, IntPtr window, XClassHint* hint);
                [DllImport("libX11")] public static extern int XFree(void* data);

                public static void SetClass(IntPtr display, IntPtr window, byte[] name, byte[] wmClass)
                {
                    var hint = XAllocClassHint();
                    fixed (byte* pName = name)
                    fixed (byte* pClass = wmClass)
                    {
                        hint->res_name = pName;
                        hint->res_class = pClass;
                        XSetClassHint(display, window, hint);
                    }

                    XFree(hint);
                }

                public static XClassHint* NeverFreed(IntPtr display, IntPtr window, byte[] name)
                {
                    var hint = XAllocClassHint();
                    fixed (byte* pName = name)
                    {
                        {|#0:hint->res_name = pName|};
                        XSetClassHint(display, window, hint);
                    }

                    return hint;
                }

                public static byte ReadAfter(IntPtr display, IntPtr window, byte[] name)
                {
                    var hint = XAllocClassHint();
                    fixed (byte* pName = name)
                    {
                        {|#1:hint->res_name = pName|};
                        XSetClassHint(display, window, hint);
                    }

                    var first = *hint->res_name;
                    XFree(hint);
                    return first;
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in field 'res_name'"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("written to 'hint', which is read after the fixed statement ends"));
}
