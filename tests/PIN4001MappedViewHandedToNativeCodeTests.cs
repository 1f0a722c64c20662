using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MappedViewAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN4001: a pointer into a DAX mapping (a MemoryMappedFile over a DAX path, a libpmem mapping) reaches a call that
/// pins it long-term. Each reported form has its valid counterpart next to it.
/// </summary>
public sealed class PIN4001MappedViewHandedToNativeCodeTests
{
    /// <summary>The native side: RDMA, io_uring, libc and libpmem entry points.</summary>
    internal const string Native = """

        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
        public struct iovec
        {
            public System.IntPtr iov_base;
            public System.UIntPtr iov_len;
        }

        public static unsafe class Rdma
        {
            public const int IBV_ACCESS_LOCAL_WRITE = 1;
            public const int IBV_ACCESS_REMOTE_WRITE = 2;
            public const int IBV_ACCESS_ON_DEMAND = 64;

            [System.Runtime.InteropServices.DllImport("ibverbs")] public static extern System.IntPtr ibv_reg_mr(System.IntPtr pd, void* addr, System.UIntPtr length, int access);
            [System.Runtime.InteropServices.DllImport("uring")] public static extern int io_uring_register_buffers(System.IntPtr ring, iovec* iovecs, uint count);
            [System.Runtime.InteropServices.DllImport("libc")] public static extern System.IntPtr write(int fd, void* buffer, System.UIntPtr count);
            [System.Runtime.InteropServices.DllImport("libc")] public static extern System.IntPtr read(int fd, void* buffer, System.UIntPtr count);
            [System.Runtime.InteropServices.DllImport("pmem")] public static extern void* pmem_map_file(string path, System.UIntPtr len, int flags, int mode, out System.UIntPtr mappedLength, out int isPmem);
            [System.Runtime.InteropServices.DllImport("pmem")] public static extern void pmem_flush(void* addr, System.UIntPtr len);
            [System.Runtime.InteropServices.DllImport("pmem")] public static extern void* pmem_memcpy_persist(void* dest, void* src, System.UIntPtr len);
            [System.Runtime.InteropServices.DllImport("pmem2", EntryPoint = "pmem2_map_get_address")] public static extern void* MapAddress(System.IntPtr map);
        }
        """;

    private static string Local(string path, string call) => Usings + Body("Log", path, call) + Native;

    private const string Usings = """
        using System;
        using System.IO;
        using System.IO.MemoryMappedFiles;

        """;

    private static string Body(string name, string path, string call) => $$"""
        static unsafe class {{name}}
        {
            public static void Register(IntPtr pd)
            {
                using var file = MemoryMappedFile.CreateFromFile({{path}}, FileMode.OpenOrCreate, null, 1 << 20);
                using var view = file.CreateViewAccessor();
                byte* p = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                try
                {
                    {{call}};
                }
                finally
                {
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
        }

        """;

    private const string Reg = "Rdma.ibv_reg_mr(pd, {|#0:p|}, (UIntPtr)(1 << 20), Rdma.IBV_ACCESS_LOCAL_WRITE)";

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult At0(string mapping, string call = "ibv_reg_mr")
        => Verify.Diagnostic("PIN4001").WithLocation(0).WithArguments(mapping, call);

    [Fact]
    public Task DaxLiteralPath_RegisteredForRdma()
        => Verify.VerifyAsync(Local("\"/mnt/pmem0/log\"", Reg), At0("'/mnt/pmem0/log'"));

    [Fact]
    public Task NonDaxPath_NotReported()
        => Verify.VerifyAsync(Local("\"/var/lib/app/log\"", Reg.Replace("{|#0:p|}", "p")));

    [Fact]
    public Task DeviceDax_NotReported()
        => Verify.VerifyAsync(Local("\"/dev/dax0.0\"", Reg.Replace("{|#0:p|}", "p")));

    [Fact]
    public Task OnDemandPaging_NotReported()
        => Verify.VerifyAsync(Local("\"/mnt/pmem0/log\"", "Rdma.ibv_reg_mr(pd, p, (UIntPtr)(1 << 20), Rdma.IBV_ACCESS_LOCAL_WRITE | Rdma.IBV_ACCESS_ON_DEMAND)"));

    [Fact]
    public Task OnDemandBitAsLiteral_NotReported_NonConstantAccess_Reported()
        => Verify.VerifyAsync(Local("\"/mnt/pmem0/log\"", "Rdma.ibv_reg_mr(pd, p, (UIntPtr)64, 64 | 1); Rdma.ibv_reg_mr(pd, {|#0:p|}, (UIntPtr)64, Environment.ProcessorCount)"), At0("'/mnt/pmem0/log'"));

    [Fact]
    public Task SynchronousCalls_NotReported()
        => Verify.VerifyAsync(Local("\"/mnt/pmem0/log\"", "Rdma.write(1, p, (UIntPtr)16); Rdma.read(0, p, (UIntPtr)16); Rdma.pmem_flush(p, (UIntPtr)16); Rdma.pmem_memcpy_persist(p, p + 8, (UIntPtr)8)"));

    [Fact]
    public Task SynchronousCallNextToRegistration_RegistrationReported()
        => Verify.VerifyAsync(Local("\"/pmem1/data/log\"", "Rdma.write(1, p, (UIntPtr)16); " + Reg), At0("'/pmem1/data/log'"));

    [Fact]
    public Task ConstField_AndDerivedPointer()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.IO.MemoryMappedFiles;

            static unsafe class Log
            {
                private const string Root = "/mnt/dax1";
                private const string LogPath = Root + "/journal";

                public static void Register(IntPtr pd)
                {
                    using var file = MemoryMappedFile.CreateFromFile(LogPath);
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    var record = (IntPtr)(p + 4096);
                    Rdma.ibv_reg_mr(pd, {|#0:(void*)record|}, (UIntPtr)4096, Rdma.IBV_ACCESS_REMOTE_WRITE);
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
            """ + Native, At0("'/mnt/dax1/journal'"));

    [Fact]
    public Task InterpolatedPath_ConstantPrefix()
        => Verify.VerifyAsync(Local("$\"/mnt/pmem0/{Environment.MachineName}.log\"", Reg), At0("'/mnt/pmem0/…'"));

    [Fact]
    public Task InterpolatedPath_WithoutConstantPrefix_NotReported()
        => Verify.VerifyAsync(Local("$\"{Environment.CurrentDirectory}/pmem0/x.log\"", Reg.Replace("{|#0:p|}", "p")));

    [Fact]
    public Task ConcatenatedPath_ConstantPrefix()
        => Verify.VerifyAsync(Local("\"/mnt/pmem2/\" + Environment.MachineName", Reg), At0("'/mnt/pmem2/…'"));

    [Fact]
    public Task ConcatenatedPath_PrefixShortOfADirectory_NotReported()
        => Verify.VerifyAsync(Local("\"/mnt/pmem\" + Environment.MachineName", Reg.Replace("{|#0:p|}", "p")));

    [Fact]
    public Task PathCombine_FirstArgumentIsADaxDirectory()
        => Verify.VerifyAsync(Local("Path.Combine(\"/mnt/pmem0\", Environment.MachineName, \"log\")", Reg), At0("'/mnt/pmem0/…'"));

    [Fact]
    public Task PathCombine_FirstArgumentOrdinary_NotReported()
        => Verify.VerifyAsync(Local("Path.Combine(\"/var/lib\", \"mnt/pmem0\")", Reg.Replace("{|#0:p|}", "p")));

    [Fact]
    public Task PathJoin_OfStaticReadonlyRoot()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.IO.MemoryMappedFiles;

            static unsafe class Log
            {
                private static readonly string s_root = "/mnt/pmem3";

                public static void Register(IntPtr pd, string name)
                {
                    using var file = MemoryMappedFile.CreateFromFile(Path.Join(s_root, name));
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try { Rdma.ibv_reg_mr(pd, {|#0:p|}, (UIntPtr)4096, 1); }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }
            }
            """ + Native, At0("'/mnt/pmem3/…'"));

    [Fact]
    public Task PathFromParameter_NotReported()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.IO.MemoryMappedFiles;

            static unsafe class Log
            {
                public static void Register(IntPtr pd, string path)
                {
                    using var file = MemoryMappedFile.CreateFromFile(path);
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try { Rdma.ibv_reg_mr(pd, p, (UIntPtr)4096, 1); }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }
            }
            """ + Native);

    [Fact]
    public Task ThroughFileStreamAndSafeFileHandle()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.IO.MemoryMappedFiles;

            static unsafe class Log
            {
                public static void ViaStream(IntPtr pd)
                {
                    using var stream = new FileStream("/mnt/pmem0/a.log", FileMode.Open, FileAccess.ReadWrite);
                    using var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
                    using var view = file.CreateViewStream();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try { Rdma.ibv_reg_mr(pd, {|#0:p|}, (UIntPtr)4096, 1); }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }

                public static void ViaHandle(IntPtr pd)
                {
                    using var handle = File.OpenHandle("/mnt/pmem0/b.log", FileMode.Open, FileAccess.ReadWrite);
                    using var file = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
                    using var view = file.CreateViewAccessor();
                    var viewHandle = view.SafeMemoryMappedViewHandle;
                    byte* p = null;
                    viewHandle.AcquirePointer(ref p);
                    try { Rdma.ibv_reg_mr(pd, {|#1:p|}, (UIntPtr)4096, 1); }
                    finally { viewHandle.ReleasePointer(); }
                }

                public static void ViaStreamOnOrdinaryDisk(IntPtr pd)
                {
                    using var stream = new FileStream("/var/tmp/a.log", FileMode.Open, FileAccess.ReadWrite);
                    using var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try { Rdma.ibv_reg_mr(pd, p, (UIntPtr)4096, 1); }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }
            }
            """ + Native,
            At0("'/mnt/pmem0/a.log'"),
            Verify.Diagnostic("PIN4001").WithLocation(1).WithArguments("'/mnt/pmem0/b.log'", "ibv_reg_mr"));

    [Fact]
    public Task DangerousGetHandle()
        => Verify.VerifyAsync("""
            using System;
            using System.IO.MemoryMappedFiles;

            static unsafe class Log
            {
                public static void Register(IntPtr pd)
                {
                    using var file = MemoryMappedFile.CreateFromFile("/mnt/pmem0/log");
                    using var view = file.CreateViewAccessor();
                    var address = view.SafeMemoryMappedViewHandle.DangerousGetHandle();
                    Rdma.ibv_reg_mr(pd, {|#0:(void*)address|}, (UIntPtr)4096, 1);
                }
            }
            """ + Native, At0("'/mnt/pmem0/log'"));

    // ---- fields of the same type: map in the constructor, register elsewhere ----

    private const string FieldShape = """
        using System;
        using System.IO;
        using System.IO.MemoryMappedFiles;

        sealed unsafe class PmemLog : IDisposable
        {
            private readonly MemoryMappedFile _file;
            private readonly MemoryMappedViewAccessor _view;
            private byte* _base;

            public PmemLog()
            {
                _file = MemoryMappedFile.CreateFromFile(PATH, FileMode.OpenOrCreate, null, 1 << 20);
                _view = _file.CreateViewAccessor();
                _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
            }

            public IntPtr Register(IntPtr pd) => Rdma.ibv_reg_mr(pd, MARK, (UIntPtr)(1 << 20), ACCESS_ARG);

            public void Append(byte value) { Rdma.pmem_flush(_base, (UIntPtr)1); }

            public void Dispose()
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
                _file.Dispose();
            }
        }
        """ + Native;

    [Fact]
    public Task PointerField_RegisteredInAnotherMethod()
        => Verify.VerifyAsync(FieldShape.Replace("PATH", "\"/mnt/pmem0/log\"").Replace("MARK", "{|#0:_base|}").Replace("ACCESS_ARG", "1"), At0("'/mnt/pmem0/log'"));

    [Fact]
    public Task PointerField_OrdinaryDisk_NotReported()
        => Verify.VerifyAsync(FieldShape.Replace("PATH", "\"/srv/log\"").Replace("MARK", "_base").Replace("ACCESS_ARG", "1"));

    [Fact]
    public Task PointerField_OnDemandPaging_NotReported()
        => Verify.VerifyAsync(FieldShape.Replace("PATH", "\"/mnt/pmem0/log\"").Replace("MARK", "_base").Replace("ACCESS_ARG", "Rdma.IBV_ACCESS_ON_DEMAND | 1"));

    [Fact]
    public Task PointerField_AssignedFromElsewhereToo_NotReported()
        => Verify.VerifyAsync(FieldShape.Replace("PATH", "\"/mnt/pmem0/log\"").Replace("MARK", "_base").Replace("ACCESS_ARG", "1")
            .Replace("public void Append(byte value)", "public void Retarget(byte* other) { _base = other; }\n\n    public void Append(byte value)"));

    [Fact]
    public Task ViewField_AcquiredInAnotherMethod()
        => Verify.VerifyAsync("""
            using System;
            using System.IO.MemoryMappedFiles;

            sealed unsafe class PmemLog
            {
                private static readonly string s_path = "/mnt/pmem0/log";
                private readonly MemoryMappedFile _file = MemoryMappedFile.CreateFromFile(s_path);
                private readonly MemoryMappedViewAccessor _view;
                private readonly MemoryMappedViewAccessor _other;

                public PmemLog(MemoryMappedViewAccessor other)
                {
                    _view = _file.CreateViewAccessor();
                    _other = other;
                }

                public void Register(IntPtr pd)
                {
                    byte* p = null;
                    _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    Rdma.ibv_reg_mr(pd, {|#0:p|}, (UIntPtr)4096, 1);

                    byte* q = null;
                    _other.SafeMemoryMappedViewHandle.AcquirePointer(ref q);
                    Rdma.ibv_reg_mr(pd, q, (UIntPtr)4096, 1);
                }
            }
            """ + Native, At0("'/mnt/pmem0/log'"));

    // ---- iovec buffers for io_uring ----

    [Fact]
    public Task IovecOnTheStack_PassedToIoUringRegisterBuffers()
        => Verify.VerifyAsync(Local("\"/mnt/pmem0/ring\"", """
            iovec* iovs = stackalloc iovec[1];
                        iovs[0].iov_base = (IntPtr)p;
                        iovs[0].iov_len = (UIntPtr)4096;
                        Rdma.io_uring_register_buffers(IntPtr.Zero, {|#0:iovs|}, 1)
            """), At0("'/mnt/pmem0/ring'", "io_uring_register_buffers"));

    [Fact]
    public Task IovecArray_PassedToIoUringRegisterBuffers()
        => Verify.VerifyAsync(Local("\"/mnt/pmem0/ring\"", """
            var iovs = new iovec[2];
                        iovs[0].iov_base = (IntPtr)p;
                        iovs[1] = new iovec { iov_base = (IntPtr)(p + 4096), iov_len = (UIntPtr)4096 };
                        fixed (iovec* first = iovs)
                        {
                            Rdma.io_uring_register_buffers(IntPtr.Zero, {|#0:first|}, 2);
                        }
            """), At0("'/mnt/pmem0/ring'", "io_uring_register_buffers"));

    [Fact]
    public Task IovecStruct_PassedByAddress()
        => Verify.VerifyAsync(Local("\"/mnt/pmem0/ring\"", """
            var iov = new iovec { iov_base = (IntPtr)p, iov_len = (UIntPtr)4096 };
                        Rdma.io_uring_register_buffers(IntPtr.Zero, {|#0:&iov|}, 1)
            """), At0("'/mnt/pmem0/ring'", "io_uring_register_buffers"));

    [Fact]
    public Task IovecOverOrdinaryFile_NotReported()
        => Verify.VerifyAsync(Local("\"/tmp/ring\"", """
            var iov = new iovec { iov_base = (IntPtr)p, iov_len = (UIntPtr)4096 };
                        Rdma.io_uring_register_buffers(IntPtr.Zero, &iov, 1)
            """));

    // ---- libpmem ----

    [Fact]
    public Task LibpmemMapping_AnyPath()
        => Verify.VerifyAsync("""
            using System;

            static unsafe class Log
            {
                public static void Register(IntPtr pd, IntPtr map, string path)
                {
                    var p = Rdma.pmem_map_file(path, (UIntPtr)4096, 1, 0x180, out var length, out var isPmem);
                    Rdma.pmem_flush(p, length);
                    Rdma.ibv_reg_mr(pd, {|#0:p|}, length, Rdma.IBV_ACCESS_LOCAL_WRITE);
                    Rdma.ibv_reg_mr(pd, p, length, Rdma.IBV_ACCESS_ON_DEMAND);

                    var q = Rdma.MapAddress(map);
                    Rdma.ibv_reg_mr(pd, {|#1:q|}, length, 1);
                }
            }
            """ + Native,
            At0("a libpmem mapping ('pmem_map_file')"),
            Verify.Diagnostic("PIN4001").WithLocation(1).WithArguments("a libpmem mapping ('pmem2_map_get_address')", "ibv_reg_mr"));

    [Fact]
    public Task UserMethodNamedLikeLibpmem_NotAMapping()
        => Verify.VerifyAsync("""
            using System;

            static unsafe class Log
            {
                private static void* pmem_map_file(string path) => null;

                public static void Register(IntPtr pd)
                {
                    var p = pmem_map_file("/mnt/pmem0/x");
                    Rdma.ibv_reg_mr(pd, p, (UIntPtr)1, 1);
                }
            }
            """ + Native);

    // ---- retaining calls: attributed and configured ----

    [Fact]
    public Task AttributedAndConfiguredRetainingCalls()
        => Verify.VerifyWithConfigAsync("""
            using System;
            using System.IO.MemoryMappedFiles;

            [AttributeUsage(AttributeTargets.Method | AttributeTargets.Parameter)]
            sealed class RetainsPointerAttribute : Attribute { }

            static unsafe class Nic
            {
                [RetainsPointer] public static void Register(byte* p, long length) { }
                public static void Submit(byte* p, long length) { }
                public static void Copy(byte* p, long length) { }
            }

            static unsafe class Log
            {
                public static void Run()
                {
                    using var file = MemoryMappedFile.CreateFromFile("/mnt/pmem0/log");
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try
                    {
                        Nic.Register({|#0:p|}, 4096);
                        Nic.Submit({|#1:p|}, 4096);
                        Nic.Copy(p, 4096);
                    }
                    finally
                    {
                        view.SafeMemoryMappedViewHandle.ReleasePointer();
                    }
                }
            }
            """,
            "pin_analyzers.retaining_methods = Nic.Submit\n",
            At0("'/mnt/pmem0/log'", "Register"),
            Verify.Diagnostic("PIN4001").WithLocation(1).WithArguments("'/mnt/pmem0/log'", "Submit"));

    // ---- pin_analyzers.dax_paths ----

    [Fact]
    public Task CustomDaxPaths_ReplaceTheDefault()
        => Verify.VerifyWithConfigAsync(
            Usings + Body("A", "\"/data/pmem/log\"", Reg) + Body("B", "\"/mnt/pmem0/x\"", Reg.Replace("{|#0:p|}", "p")) + Native,
            "pin_analyzers.dax_paths = /data/pmem/**, /srv/*.pmem\n",
            At0("'/data/pmem/log'"));

    [Fact]
    public Task CustomDaxPaths_SegmentStar()
        => Verify.VerifyWithConfigAsync(
            Usings + Body("A", "\"/srv/journal.pmem\"", Reg) + Body("B", "\"/srv/old/journal.pmem\"", Reg.Replace("{|#0:p|}", "p")) + Native,
            "pin_analyzers.dax_paths = /data/pmem/**, /srv/*.pmem\n",
            At0("'/srv/journal.pmem'"));

    [Theory]
    [InlineData(", ,")]
    [InlineData("")]
    [InlineData("/data/[ab]/**")]
    [InlineData("/data/pmem/***")]
    [InlineData("/data/pmem/**, {/a,/b}")]
    public Task MalformedDaxPaths_FallBackToTheDefault(string value)
        => Verify.VerifyWithConfigAsync(
            Usings + Body("A", "\"/mnt/pmem0/log\"", Reg) + Body("B", "\"/data/pmem/log\"", Reg.Replace("{|#0:p|}", "p")) + Native,
            $"pin_analyzers.dax_paths = {value}\n",
            At0("'/mnt/pmem0/log'"));

    [Fact]
    public void DaxPathsParser_ReportsErrors()
    {
        Assert.Null(PinAnalyzers.Flow.DaxPaths.Parse("/mnt/pmem*/**, /data/**").Error);
        Assert.Contains("no glob", PinAnalyzers.Flow.DaxPaths.Parse(" , ").Error);
        Assert.Contains("'['", PinAnalyzers.Flow.DaxPaths.Parse("/a/[x]").Error);
        var (paths, error) = PinAnalyzers.Flow.DaxPaths.Parse("/a/***");
        Assert.NotNull(error);
        Assert.Same(PinAnalyzers.Flow.DaxPaths.Default, paths);
        Assert.True(paths.Matches("/mnt/pmem0/log", complete: true));
        Assert.True(paths.Matches("/pmem1/a/b/c", complete: true));
        Assert.False(paths.Matches("/dev/dax0.0", complete: true));
        Assert.False(paths.Matches("/mnt/pmem", complete: false));
        Assert.True(paths.Matches("/mnt/pmem0/", complete: false));
        Assert.True(PinAnalyzers.Flow.DaxPaths.Parse("D:\\pmem\\**").Paths.Matches("D:\\pmem\\log.bin", complete: true));
    }

    // ---- broken code ----

    [Theory]
    [InlineData("view.SafeMemoryMappedViewHandle.AcquirePointer(ref ")]
    [InlineData("view.SafeMemoryMappedViewHandle.AcquirePointer(ref p); Rdma.ibv_reg_mr(pd, p, ")]
    [InlineData("using var f = MemoryMappedFile.CreateFromFile($\"/mnt/pmem0/{")]
    [InlineData("Rdma.ibv_reg_mr(pd, Rdma.pmem_map_file(), (UIntPtr)1, 1); Missing.AcquirePointer(ref p);")]
    public Task BrokenCode_NoCrash(string body)
        => Verify.VerifyNoCrashAsync($$"""
            using System;
            using System.IO.MemoryMappedFiles;

            static unsafe class Log
            {
                public static void Register(IntPtr pd)
                {
                    using var file = MemoryMappedFile.CreateFromFile("/mnt/pmem0/log");
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    {{body}}
            """ + Native);
}
