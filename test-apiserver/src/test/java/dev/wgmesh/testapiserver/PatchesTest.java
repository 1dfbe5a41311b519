package dev.wgmesh.testapiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class PatchesTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String OBJECT = "{'metadata':{'name':'a'},'spec':{'peers':[1,2],'mesh':'m'}}";

  static JsonNode json(String s) throws Exception {
    return JSON.readTree(s.replace('\'', '"'));
  }

  @Test
  void jsonPatchNeedsEveryTarget() throws Exception {
    JsonNode object = json(OBJECT);
    assertThrows(Patches.PatchException.class,
        () -> Patches.applyJsonPatch(object, json("[{'op':'add','path':'/status/ready','value':'True'}]")), "add under a missing parent");
    assertThrows(Patches.PatchException.class, () -> Patches.applyJsonPatch(object, json("[{'op':'remove','path':'/spec/gone'}]")));
    assertThrows(Patches.PatchException.class, () -> Patches.applyJsonPatch(object, json("[{'op':'replace','path':'/spec/gone','value':1}]")));
    assertThrows(Patches.PatchException.class, () -> Patches.applyJsonPatch(object, json("[{'op':'test','path':'/spec/mesh','value':'x'}]")));
    assertThrows(Patches.PatchException.class, () -> Patches.applyJsonPatch(object, json("[{'op':'add','path':'/spec/peers/5','value':3}]")));
    assertThrows(Patches.PatchException.class, () -> Patches.applyJsonPatch(object, json("{'op':'add'}")));
  }

  @Test
  void jsonPatchAppliesInOrder() throws Exception {
    JsonNode result = Patches.applyJsonPatch(json(OBJECT), json(
        "[{'op':'test','path':'/spec/mesh','value':'m'},{'op':'add','path':'/status','value':{}},"
            + "{'op':'add','path':'/status/ready','value':'True'},{'op':'add','path':'/spec/peers/-','value':3}]"));
    assertEquals(json("{'metadata':{'name':'a'},'spec':{'peers':[1,2,3],'mesh':'m'},'status':{'ready':'True'}}"), result);
  }

  @Test
  void mergePatchReplacesArraysAndNullRemoves() throws Exception {
    JsonNode result = Patches.applyMergePatch(json(OBJECT),
        json("{'spec':{'peers':[9],'mesh':null},'status':{'ready':'True','address':null}}"));
    assertEquals(json("{'metadata':{'name':'a'},'spec':{'peers':[9]},'status':{'ready':'True'}}"), result);
  }
}
